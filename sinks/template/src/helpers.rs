//! The helpers templates can call. Each takes values and returns a value, so
//! they also work as subexpressions: `{{sh (upper role_name)}}`.
//!
//! | helper | result |
//! |---|---|
//! | `sh V` | V single-quoted for POSIX sh, bash and zsh |
//! | `powershell V` | V single-quoted for PowerShell |
//! | `json V` | V as JSON (a string becomes a quoted, escaped JSON string; also a valid YAML scalar) |
//! | `hcl V` | V as an HCL/Terraform quoted string, `${` and `%{` escaped |
//! | `line V` | V unchanged; an error if it holds a line break (for INI and line formats) |
//! | `upper V`, `lower V` | V in upper or lower case |
//! | `date V FORMAT` | V (RFC 3339 text or Unix seconds) in FORMAT: `rfc3339`, `rfc2822`, `unix`, or a `time` format description such as `[year]-[month]-[day]` |

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde_json::Value;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{OffsetDateTime, UtcOffset};

type HelperFn = fn(&[&Value]) -> Result<Value, String>;

/// A helper backed by a plain function of its parameters.
struct Function {
    name: &'static str,
    arity: usize,
    call: HelperFn,
}

impl HelperDef for Function {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let params: Vec<&Value> = h.params().iter().map(|p| p.value()).collect();
        if params.len() != self.arity {
            return Err(RenderErrorReason::Other(format!(
                "helper `{}` takes {} parameter(s), got {}",
                self.name,
                self.arity,
                params.len()
            ))
            .into());
        }
        (self.call)(&params)
            .map(ScopedJson::Derived)
            .map_err(|m| RenderErrorReason::Other(format!("helper `{}`: {m}", self.name)).into())
    }
}

/// Registers every helper.
pub fn register(hb: &mut Handlebars<'_>) {
    let all: [(&'static str, usize, HelperFn); 8] = [
        ("sh", 1, |p| text(p[0]).map(|s| Value::String(sh(&s)))),
        ("powershell", 1, |p| {
            text(p[0]).map(|s| Value::String(powershell(&s)))
        }),
        ("json", 1, |p| {
            serde_json::to_string(p[0])
                .map(Value::String)
                .map_err(|e| e.to_string())
        }),
        ("hcl", 1, |p| text(p[0]).map(|s| Value::String(hcl(&s)))),
        ("line", 1, |p| {
            let s = text(p[0])?;
            if s.contains(['\n', '\r']) {
                return Err(
                    "the value contains a line break, which this format cannot hold".into(),
                );
            }
            Ok(Value::String(s))
        }),
        ("upper", 1, |p| {
            text(p[0]).map(|s| Value::String(s.to_uppercase()))
        }),
        ("lower", 1, |p| {
            text(p[0]).map(|s| Value::String(s.to_lowercase()))
        }),
        ("date", 2, |p| date(p[0], p[1])),
    ];
    for (name, arity, call) in all {
        hb.register_helper(name, Box::new(Function { name, arity, call }));
    }
}

/// The text of a scalar; `null` is refused so a missing optional field is
/// never quoted into an empty string by accident.
fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("the value is null; guard it with {{#if ...}}".into()),
        _ => Err("expects a string, number or boolean".into()),
    }
}

/// POSIX single quotes: nothing inside is special; a quote is closed,
/// escaped and reopened.
pub fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// PowerShell single quotes: quote characters, typographic ones included,
/// are doubled.
pub fn powershell(s: &str) -> String {
    ssocred_core::domain::shell::powershell_quote(s)
}

/// An HCL quoted string: JSON-style escapes, plus `$${` and `%%{` so
/// Terraform never reads an interpolation or directive.
pub fn hcl(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str(r"\\"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn date(value: &Value, format: &Value) -> Result<Value, String> {
    let at = match value {
        Value::Number(n) => n
            .as_i64()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or("the number is not a Unix time in seconds")?,
        // The value is not echoed: it could be a secret. A valid offset can
        // still carry the instant past year 9999 in UTC, where `to_offset`
        // panics, hence the checked conversion.
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|_| "the value is not an RFC 3339 time".to_owned())?
            .checked_to_offset(UtcOffset::UTC)
            .ok_or("the time is out of range in UTC")?,
        _ => return Err("expects an RFC 3339 string or Unix seconds".into()),
    };
    let Value::String(format) = format else {
        return Err("the format must be a string".into());
    };
    let out = match format.as_str() {
        "rfc3339" => ssocred_core::domain::time_fmt::utc_z(at),
        "rfc2822" => at.format(&Rfc2822).map_err(|e| e.to_string())?,
        "unix" => at.unix_timestamp().to_string(),
        custom => {
            let desc = time::format_description::parse_borrowed::<2>(custom)
                .map_err(|e| format!("bad format `{}`: {e}", clip(custom)))?;
            at.format(&desc).map_err(|e| e.to_string())?
        }
    };
    Ok(Value::String(out))
}

/// The start of a long text, for an error message.
fn clip(text: &str) -> String {
    const SHOWN: usize = 60;
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
