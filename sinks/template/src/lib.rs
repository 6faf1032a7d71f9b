//! The `template` sink: renders a handlebars template, bundled (by name) or
//! the user's own (by path), to stdout or to a file.
//!
//! Templates run in strict mode, so a misspelt field is an error rather than
//! an empty string, and without HTML escaping, which would rewrite the `=` of
//! base64 secrets. The template is read and compiled when the sink is built,
//! before any network call; it is rendered at commit, and a render error
//! writes nothing. See [`data`] for the fields and [`helpers`] for the helpers.
//!
//! A template is untrusted text, so it is bounded: a file is read only if it
//! is a regular file of at most 64 KiB, and its tags, nesting, partials, loop
//! cost and output size are capped (the limits live in `limits.rs`); each
//! refusal is a usage error naming the template.

#![deny(missing_docs)]

use std::io::Write;
use std::path::Path;

use handlebars::{Handlebars, RenderError, TemplateError};
use serde_json::{Map, Value};
use ssocred_core::{
    Capacity, CredentialSet, Destination, Sink, SinkContext, SinkError, SinkKind, SinkSpec,
};

pub mod data;
pub mod helpers;
mod limits;

const NAME: &str = "template";

/// A template shipped inside the binary.
#[derive(Debug)]
pub struct Bundled {
    /// The name used in `--sink template:NAME`.
    pub name: &'static str,
    /// What it produces.
    pub description: &'static str,
    /// Whether it renders every set of a multi-role run (otherwise it uses
    /// the top-level fields, so the sink refuses runs with several sets).
    pub many: bool,
    /// The template text.
    pub text: &'static str,
}

/// The bundled templates, from `templates/` at the root of the repository.
pub const BUNDLED: &[Bundled] = &[
    Bundled {
        name: "credentials-ini",
        description: "credentials-file INI sections, one [ACCOUNT-ROLE] per set",
        many: true,
        text: include_str!("../../../templates/credentials-ini.hbs"),
    },
    Bundled {
        name: "envrc",
        description: "a direnv .envrc (export lines, sh-quoted)",
        many: false,
        text: include_str!("../../../templates/envrc.hbs"),
    },
    Bundled {
        name: "github-actions",
        description: "a bash snippet: ::add-mask:: for the keys, then the variables appended to $GITHUB_ENV",
        many: false,
        text: include_str!("../../../templates/github-actions.hbs"),
    },
    Bundled {
        name: "k8s-secret",
        description: "a Kubernetes Secret manifest (stringData) named aws-credentials",
        many: false,
        text: include_str!("../../../templates/k8s-secret.hbs"),
    },
    Bundled {
        name: "powershell",
        description: "PowerShell $env: assignments for Invoke-Expression",
        many: false,
        text: include_str!("../../../templates/powershell.hbs"),
    },
    Bundled {
        name: "tfvars",
        description: "a Terraform/OpenTofu .tfvars file (HCL strings)",
        many: false,
        text: include_str!("../../../templates/tfvars.hbs"),
    },
];

ssocred_core::sink_options! {
    struct Options {
        /// a bundled template (credentials-ini, envrc, github-actions, k8s-secret, powershell, tfvars) or a template file path
        template: Option<String>,
        /// write this file (atomic, 0600) instead of stdout
        out: Option<String>,
    }
}

/// A compiled template, ready to render credential sets.
#[derive(Debug)]
pub struct Template {
    registry: Handlebars<'static>,
    /// How the template was named: the bundled name or the path given.
    label: String,
    many: bool,
    cost: limits::Cost,
}

impl Template {
    /// Compiles `text`, naming it `label` in errors. A text beyond the limits
    /// (too many tags, nested too deep, partials that recurse) is refused
    /// before or right after parsing.
    pub fn compile(label: &str, text: &str, many: bool) -> Result<Template, SinkError> {
        limits::check_text(text).map_err(|why| limit_error(label, &why))?;
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        registry
            .register_template_string(label, text)
            .map_err(|e| syntax_error(label, &e))?;
        let cost = match registry.get_template(label) {
            Some(ast) => {
                limits::check_partials(label, ast).map_err(|why| limit_error(label, &why))?
            }
            None => limits::Cost::default(),
        };
        Ok(Template {
            registry,
            label: label.to_owned(),
            many,
            cost,
        })
    }

    /// Finds a template by bundled name or by path (resolved against `cwd`).
    ///
    /// A bundled name wins; anything else with a `/` or a `.` is a path. A
    /// bare word that is not bundled is an error listing the bundled names.
    pub fn load(name_or_path: &str, cwd: &Path) -> Result<Template, SinkError> {
        if let Some(b) = Template::bundled(name_or_path)? {
            return Template::compile(b.name, b.text, b.many);
        }
        let path = cwd.join(name_or_path);
        let text = limits::read_file(&path).map_err(|why| {
            SinkError::usage(
                NAME,
                format!("cannot read template file {}: {why}", path.display()),
            )
        })?;
        Template::compile(name_or_path, &text, true)
    }

    /// The bundled template `name_or_path` names, or `None` for a path; a
    /// bare word that is not bundled is an error. Reads no file.
    fn bundled(name_or_path: &str) -> Result<Option<&'static Bundled>, SinkError> {
        if let Some(b) = BUNDLED.iter().find(|b| b.name == name_or_path) {
            return Ok(Some(b));
        }
        if !name_or_path.contains(['/', '.']) {
            let names: Vec<_> = BUNDLED.iter().map(|b| b.name).collect();
            return Err(SinkError::usage(
                NAME,
                format!(
                    "no bundled template `{name_or_path}`; bundled: {}. For a file, give a path such as ./{name_or_path}.hbs",
                    names.join(", ")
                ),
            ));
        }
        Ok(None)
    }

    /// Renders the sets (see [`data`]). A template whose loops could cost
    /// too much for this many sets is refused before rendering, and a render
    /// stops once its output passes the cap.
    pub fn render(&self, sets: Vec<Map<String, Value>>) -> Result<String, SinkError> {
        self.cost
            .check(sets.len())
            .map_err(|why| limit_error(&self.label, &why))?;
        let mut out = limits::Capped::default();
        // The context takes the data as it is: `render_to_write` would
        // serialise it into a second copy first.
        let context = handlebars::Context::from(data::context(sets));
        match self
            .registry
            .render_with_context_to_write(&self.label, &context, &mut out)
        {
            Ok(()) => String::from_utf8(out.bytes)
                .map_err(|_| limit_error(&self.label, "the output is not UTF-8 text")),
            Err(_) if out.full => Err(limit_error(&self.label, &limits::output_exceeded())),
            Err(e) => Err(render_error(&self.label, &e)),
        }
    }
}

fn syntax_error(label: &str, e: &TemplateError) -> SinkError {
    let at = e
        .pos()
        .map(|(line, col)| format!(" line {line}, column {col}"))
        .unwrap_or_default();
    SinkError::usage(
        NAME,
        format!(
            "template `{label}`{at}: {}; nothing was written",
            e.reason()
        ),
    )
}

fn limit_error(label: &str, why: &str) -> SinkError {
    SinkError::usage(
        NAME,
        format!("template `{label}`: {why}; nothing was written"),
    )
}

fn render_error(label: &str, e: &RenderError) -> SinkError {
    let at = match (e.line_no, e.column_no) {
        (Some(line), Some(col)) => format!(" line {line}, column {col}"),
        _ => String::new(),
    };
    let reason = match e.reason() {
        handlebars::RenderErrorReason::MissingVariable(Some(path)) => format!(
            "unknown field `{path}` (strict mode); see the template data model in docs/templates.md"
        ),
        other => other.to_string(),
    };
    SinkError::refused(
        NAME,
        format!("template `{label}`{at}: {reason}; nothing was written"),
    )
}

struct TemplateSink {
    template: Template,
    out: Destination,
    sets: Vec<Map<String, Value>>,
}

impl Sink for TemplateSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.sets.push(data::set_object(set));
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        if self.sets.is_empty() {
            return Ok(());
        }
        let sets = std::mem::take(&mut self.sets);
        let text = self.template.render(sets)?;
        self.out.write(stdout, text.as_bytes())
    }

    fn capacity(&self) -> Capacity {
        if self.template.many {
            Capacity::Many
        } else {
            Capacity::One
        }
    }
}

/// The template's name or path and where the output goes: read from the
/// spec, and no file read yet.
fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<(String, Destination), SinkError> {
    let options: Options = spec.options_as(Some("template"))?;
    let Some(name) = options.template.filter(|t| !t.is_empty()) else {
        let names: Vec<_> = BUNDLED.iter().map(|b| b.name).collect();
        return Err(SinkError::usage(
            NAME,
            format!(
                "needs a template: template:NAME or template:PATH; bundled: {}",
                names.join(", ")
            ),
        ));
    };
    Template::bundled(&name)?;
    let out = Destination::from_option(NAME, "out", options.out, ctx)?;
    Ok((name, out))
}

/// Checks the options and a bundled template's name; a template file is
/// read only when the sink is built.
fn validate(spec: &SinkSpec, ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec, ctx).map(drop)
}

fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let (name, out) = configure(spec, ctx)?;
    Ok(Box::new(TemplateSink {
        template: Template::load(&name, &ctx.cwd)?,
        out,
        sets: Vec::new(),
    }))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "renders a handlebars template (bundled by name, or a file) to stdout or a file",
        argument: Some("NAME|PATH"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests;
