//! Bounds on what a template may cost. A template is the author's input like
//! any other: reading, compiling and rendering it must stay small, finite and
//! free of panics, whatever the text.
//!
//! - The file must be a regular file of at most [`MAX_FILE_BYTES`]; it is
//!   opened without blocking (a FIFO cannot hang the run) and read with a cap.
//! - Before handlebars parses it, a scan counts its tags (handlebars spends
//!   tags × size to compile, since it recounts lines from the start for every
//!   token) and its nesting (its parser and renderer recurse once per level).
//! - After compiling, the partials are checked: names written out, no cycle,
//!   a bounded number of expansions and a bounded depth.
//! - Before rendering, the cost of the template's loops for the number of
//!   sets at hand is bounded by [`MAX_STEPS`]; rendering stops past
//!   [`MAX_OUTPUT_BYTES`] of output.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use handlebars::Path as JsonPath;
use handlebars::template::{DecoratorTemplate, Parameter, Template as Ast, TemplateElement};

/// The largest template file, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;
/// The most `{{` a template may hold.
pub const MAX_TAGS: usize = 2_000;
/// How deep blocks, subexpressions, literals and partials may nest.
pub const MAX_NESTING: usize = 64;
/// How many partial expansions one render of the template may reach
/// statically (loops aside).
pub const MAX_PARTIAL_EXPANSIONS: usize = 1_000;
/// The largest output of one render, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// How many template elements one render may visit, loops unrolled.
pub const MAX_STEPS: u64 = 1_000_000;

/// Reads a template file: a regular file of at most [`MAX_FILE_BYTES`],
/// UTF-8. The error says why, without the path (the caller adds it).
pub fn read_file(path: &Path) -> Result<String, String> {
    // The type is checked before opening, so a device is never opened, and
    // again on the open handle, in case the path was swapped in between.
    regular(&std::fs::metadata(path).map_err(|e| e.to_string())?)?;
    // Opening a FIFO for reading blocks until a writer comes; these options
    // return at once (and the type check refuses it).
    let file = ssocred_core::os::file::read_bounded_options()
        .open(path)
        .map_err(|e| e.to_string())?;
    regular(&file.metadata().map_err(|e| e.to_string())?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}

fn regular(meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err("not a regular file (a template must be a plain file)".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> String {
    format!(
        "larger than the {} KiB a template may hold",
        MAX_FILE_BYTES / 1024
    )
}

/// Checks the text before handlebars parses it: at most [`MAX_TAGS`] tags
/// and at most [`MAX_NESTING`] levels of blocks and, inside tags,
/// parentheses, brackets and braces.
///
/// The scan follows the handlebars grammar where it matters for nesting
/// (escaped `\{{`, comments, raw blocks, string literals) and refuses the
/// few texts where it could disagree with the parser about where a tag ends
/// (a string literal holding `{{` or `}}`, or left open), so it never counts
/// fewer levels than the parser will descend.
pub fn check_text(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut blocks = 0usize;
    let mut i = 0;
    while let Some(at) = find(b, i, b"{{") {
        if escaped(b, i, at) {
            // `\{{` and `\{{{{` are text.
            i = at + if b[at..].starts_with(b"{{{{") { 4 } else { 2 };
            continue;
        }
        let rest = &b[at..];
        if let Some(end) = rest
            .starts_with(b"{{!--")
            .then(|| find(b, at + 5, b"--}}"))
            .flatten()
        {
            i = end + 4;
        } else if rest.starts_with(b"{{!") {
            // Without a `--}}`, handlebars reads `{{!--` as a short comment.
            i = find(b, at + 3, b"}}").map_or(b.len(), |e| e + 2);
        } else if rest.starts_with(b"{{{{") {
            // A raw block: its start tag, then text up to the next
            // unescaped `{{{{` (its end tag, or a syntax error).
            let end = tag_end(b, at + 4, 0)?;
            i = end;
            if !after_tilde(b, at + 4).starts_with(b"/") {
                let mut j = end;
                i = loop {
                    match find(b, j, b"{{{{") {
                        Some(k) if escaped(b, j, k) => j = k + 4,
                        Some(k) => break k,
                        None => break b.len(),
                    }
                };
                // The end tag itself is skipped by the next turn.
                if i < b.len() {
                    i = tag_end(b, i + 4, 0)?;
                }
            }
        } else {
            match after_tilde(b, at + 2).first() {
                Some(b'#') => blocks += 1,
                Some(b'/') => blocks = blocks.saturating_sub(1),
                _ => {}
            }
            if blocks > MAX_NESTING {
                return Err(nesting());
            }
            i = tag_end(b, at + 2, blocks)?;
        }
    }
    let tags = text.matches("{{").count();
    if tags > MAX_TAGS {
        return Err(format!(
            "it holds {tags} `{{{{` tags, more than the {MAX_TAGS} a template may hold"
        ));
    }
    Ok(())
}

fn nesting() -> String {
    format!("blocks, subexpressions and partials nest more than {MAX_NESTING} levels deep")
}

/// The index just past the `}}` that ends the tag whose body starts at
/// `from`, counting the tag's own nesting on top of `outer` levels. Brackets
/// must match, so a tag cannot run on and swallow the tags after it.
fn tag_end(b: &[u8], from: usize, outer: usize) -> Result<usize, String> {
    let mut open: Vec<u8> = Vec::new();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => i = string_end(b, i + 1, q)?,
            c @ (b'(' | b'[' | b'{') => {
                open.push(match c {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                });
                if outer + open.len() > MAX_NESTING {
                    return Err(nesting());
                }
            }
            b'}' if open.is_empty() && b.get(i + 1) == Some(&b'}') => {
                // `}}}}` ends a raw-block tag, `}}` any other.
                let mut end = i + 2;
                while b.get(end) == Some(&b'}') {
                    end += 1;
                }
                return Ok(end);
            }
            c @ (b')' | b']' | b'}') => match open.pop() {
                Some(want) if want != c => {
                    return Err("the brackets inside a tag do not match".into());
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    Ok(b.len())
}

/// The index of the closing quote of a string literal opened before `from`.
fn string_end(b: &[u8], from: usize, quote: u8) -> Result<usize, String> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            c if c == quote => return Ok(i),
            b'{' | b'}' if b.get(i + 1) == Some(&b[i]) => {
                return Err("a quoted string inside a tag holds `{{` or `}}`".into());
            }
            _ => {}
        }
        i += 1;
    }
    Err("a quoted string inside a tag is never closed".into())
}

/// Whether the `{{` at `at` is escaped: handlebars reads `\{{` as text but
/// `\\{{` as backslashes before a live tag.
fn escaped(b: &[u8], since: usize, at: usize) -> bool {
    let run = b[since..at]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    run == 1
}

/// The tag's body after `{{`: handlebars allows spaces around the `~`.
fn after_tilde(b: &[u8], from: usize) -> &[u8] {
    let rest = b.get(from..).unwrap_or_default().trim_ascii_start();
    rest.strip_prefix(b"~").unwrap_or(rest).trim_ascii_start()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// What one render of a template costs, known after compiling: how many
/// template elements it visits at each loop depth (through every partial),
/// and the longest array or object written in it.
#[derive(Debug, Default)]
pub struct Cost {
    by_loop_depth: Vec<u64>,
    widest_literal: u64,
}

/// The widest object the data model holds (a set has 17 fields, the top
/// level 19), rounded up.
const DATA_FIELDS: u64 = 32;

impl Cost {
    /// Checks that rendering `sets` credential sets stays within
    /// [`MAX_STEPS`]: every loop is taken to run over the widest collection
    /// the render could meet.
    pub fn check(&self, sets: usize) -> Result<(), String> {
        let widest = (sets as u64).max(DATA_FIELDS).max(self.widest_literal);
        let mut total: u64 = 0;
        let mut per_element: u64 = 1;
        for &count in &self.by_loop_depth {
            total = total.saturating_add(count.saturating_mul(per_element));
            per_element = per_element.saturating_mul(widest);
        }
        if total > MAX_STEPS {
            return Err(format!(
                "rendering it for {sets} credential set(s) could take more than {MAX_STEPS} steps; nest fewer loops"
            ));
        }
        Ok(())
    }
}

/// Checks the partials of a compiled template named `label` and measures
/// its [`Cost`]: every partial and inline-partial name is written out (not
/// computed), no partial includes itself directly or through others, and
/// following every partial from the top reaches at most
/// [`MAX_PARTIAL_EXPANSIONS`] expansions and [`MAX_NESTING`] levels (blocks
/// included).
pub fn check_partials(label: &str, ast: &Ast) -> Result<Cost, String> {
    let mut graph = Graph::default();
    graph.collect(label, ast, 0, 0)?;
    let mut walk = Walk {
        graph: &graph,
        path: vec![label.to_owned()],
        expansions: 0,
        cost: Cost {
            by_loop_depth: Vec::new(),
            widest_literal: graph.widest_literal,
        },
    };
    walk.visit(label, 0, 0)?;
    Ok(walk.cost)
}

/// Per partial (the template itself included): its deepest block level, the
/// elements it visits at each loop depth, and the partials it includes, each
/// with the block level and loop depth of the call.
#[derive(Default)]
struct Graph {
    nodes: HashMap<String, Node>,
    widest_literal: u64,
}

#[derive(Default)]
struct Node {
    depth: usize,
    elements: Vec<u64>,
    calls: Vec<Call>,
}

struct Call {
    to: String,
    level: usize,
    loops: usize,
}

impl Graph {
    fn collect(&mut self, node: &str, ast: &Ast, level: usize, loops: usize) -> Result<(), String> {
        {
            let entry = self.nodes.entry(node.to_owned()).or_default();
            entry.depth = entry.depth.max(level);
            add(&mut entry.elements, loops, ast.elements.len() as u64);
        }
        for element in &ast.elements {
            match element {
                TemplateElement::Expression(h) | TemplateElement::HtmlExpression(h) => {
                    self.parameters(node, level, h.params.iter().chain(h.hash.values()));
                }
                TemplateElement::HelperBlock(h) => {
                    self.parameters(node, level, h.params.iter().chain(h.hash.values()));
                    let each = matches!(&h.name, Parameter::Name(n) if n == "each");
                    let inner = loops + usize::from(each);
                    if each {
                        // One step per turn, even for an empty body.
                        let entry = self.nodes.entry(node.to_owned()).or_default();
                        add(&mut entry.elements, inner, 1);
                    }
                    if let Some(t) = &h.template {
                        self.collect(node, t, level + 1, inner)?;
                    }
                    if let Some(t) = &h.inverse {
                        self.collect(node, t, level + 1, loops)?;
                    }
                }
                TemplateElement::PartialExpression(d) | TemplateElement::PartialBlock(d) => {
                    self.parameters(node, level, d.params.iter().chain(d.hash.values()));
                    let name = partial_name(d)?;
                    if name != "@partial-block" {
                        let entry = self.nodes.entry(node.to_owned()).or_default();
                        entry.calls.push(Call {
                            to: name,
                            level,
                            loops,
                        });
                    }
                    if let Some(t) = &d.template {
                        self.collect(node, t, level + 1, loops)?;
                    }
                }
                TemplateElement::DecoratorBlock(d) => {
                    let Some(t) = &d.template else { continue };
                    if matches!(&d.name, Parameter::Name(n) if n == "inline") {
                        let Some(Parameter::Literal(serde_json::Value::String(name))) =
                            d.params.first()
                        else {
                            return Err("an inline partial's name must be a quoted string".into());
                        };
                        self.collect(name, t, 0, 0)?;
                    } else {
                        self.collect(node, t, level + 1, loops)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Records the widest array or object literal among parameters,
    /// subexpressions included, and how deep they nest at block `level`.
    fn parameters<'a>(
        &mut self,
        node: &str,
        level: usize,
        params: impl Iterator<Item = &'a Parameter>,
    ) {
        let depth = self.parameter_depth(params);
        let entry = self.nodes.entry(node.to_owned()).or_default();
        entry.depth = entry.depth.max(level + depth);
    }

    fn parameter_depth<'a>(&mut self, params: impl Iterator<Item = &'a Parameter>) -> usize {
        let mut deepest = 0;
        for p in params {
            let depth = match p {
                Parameter::Literal(v) => {
                    self.widest_literal = self.widest_literal.max(widest(v));
                    literal_depth(v)
                }
                Parameter::Subexpression(s) => match s.as_element() {
                    TemplateElement::Expression(h) | TemplateElement::HelperBlock(h) => {
                        1 + self.parameter_depth(h.params.iter().chain(h.hash.values()))
                    }
                    _ => 1,
                },
                _ => 0,
            };
            deepest = deepest.max(depth);
        }
        deepest
    }
}

fn add(counts: &mut Vec<u64>, at: usize, n: u64) {
    if counts.len() <= at {
        counts.resize(at + 1, 0);
    }
    counts[at] = counts[at].saturating_add(n);
}

fn literal_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(literal_depth).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(literal_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn widest(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::Array(a) => a.iter().map(widest).fold(a.len() as u64, u64::max),
        serde_json::Value::Object(o) => o.values().map(widest).fold(o.len() as u64, u64::max),
        _ => 0,
    }
}

fn partial_name(d: &DecoratorTemplate) -> Result<String, String> {
    match &d.name {
        Parameter::Name(n) => Ok(n.clone()),
        Parameter::Path(JsonPath::Relative((_, raw)) | JsonPath::Local((_, _, raw))) => {
            Ok(raw.clone())
        }
        Parameter::Literal(serde_json::Value::String(s)) => Ok(s.clone()),
        Parameter::Literal(v) => Ok(v.to_string()),
        _ => Err("a partial's name must be written out, not computed".into()),
    }
}

/// A depth-first walk of the partial expansions; every step goes one
/// partial deeper, so the walk's own recursion is bounded by the nesting
/// limit.
struct Walk<'g> {
    graph: &'g Graph,
    path: Vec<String>,
    expansions: usize,
    cost: Cost,
}

impl Walk<'_> {
    fn visit(&mut self, node: &str, level: usize, loops: usize) -> Result<(), String> {
        let Some(n) = self.graph.nodes.get(node) else {
            // Not defined here: handlebars reports it, or renders the
            // block's own content.
            return Ok(());
        };
        if level + n.depth > MAX_NESTING {
            return Err(nesting());
        }
        for (depth, &count) in n.elements.iter().enumerate() {
            add(&mut self.cost.by_loop_depth, loops + depth, count);
        }
        for call in &n.calls {
            if self.path.contains(&call.to) {
                return Err(format!(
                    "the partial `{}` includes itself ({} > {})",
                    call.to,
                    self.path.join(" > "),
                    call.to
                ));
            }
            self.expansions += 1;
            if self.expansions > MAX_PARTIAL_EXPANSIONS {
                return Err(format!(
                    "its partials expand more than {MAX_PARTIAL_EXPANSIONS} times"
                ));
            }
            self.path.push(call.to.clone());
            self.visit(&call.to, level + call.level + 1, loops + call.loops)?;
            self.path.pop();
        }
        Ok(())
    }
}

/// The message when a render's output grows too large.
pub fn output_exceeded() -> String {
    format!(
        "the output grew past {} MiB",
        MAX_OUTPUT_BYTES / (1024 * 1024)
    )
}

/// The output of one render, refusing to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
pub struct Capped {
    /// What was rendered so far.
    pub bytes: Vec<u8>,
    /// Whether writing stopped at the cap.
    pub full: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > MAX_OUTPUT_BYTES {
            self.full = true;
            return Err(std::io::Error::other(output_exceeded()));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
