//! The Tiller plan format: TOML files parsed with spans and validated into a
//! [`tiller_core::Program`], with compiler-style diagnostics for everything wrong.
//!
//! Reading never does IO itself: the caller supplies the root file's bytes and a
//! function that returns the bytes of an included file, so the same code serves the
//! command line, the server and tests. Reading never panics, whatever the input.

pub mod diagnostic;
pub mod generate;
mod raw;
mod reader;
mod resolve;
pub mod schema;
pub mod source;
pub mod values;
pub mod write;

use std::path::{Component, Path, PathBuf};

use tiller_core::{FileId, Program, SourceRef};

pub use diagnostic::{Code, Diagnostic, Severity, Style, render};
pub use source::{SourceFile, SourceMap};

/// Largest plan file accepted. A 100,000-task plan is about 15 MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Deepest chain of includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// The outcome of reading a plan: the program if it is valid, the files read, and every
/// diagnostic found.
#[derive(Debug)]
pub struct Loaded {
    /// `None` when any error was found.
    pub program: Option<Program>,
    /// The program as far as it could be linked despite errors (bad references and
    /// values left out), for further checks that can still find problems in it, such
    /// as dependency cycles. Never schedule or report from it.
    pub partial: Option<Program>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a plan from its root file and any files it includes.
///
/// `root_name` is the name diagnostics show and the base for relative includes.
/// `load_file` returns the bytes of an included file given its path (relative paths
/// already joined to the including file's directory), or a message saying why not.
pub fn load(
    root_name: &str,
    root: &[u8],
    load_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Loaded {
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let mut raws = Vec::new();
    let mut visiting: Vec<String> = Vec::new();
    let mut seen: Vec<(String, Option<SourceRef>)> = Vec::new();
    read_recursive(
        root_name,
        root,
        None,
        load_file,
        &mut sources,
        &mut diags,
        &mut raws,
        &mut visiting,
        &mut seen,
    );
    let syntax_failed = diags
        .iter()
        .any(|d: &Diagnostic| d.code == Code::TomlSyntax);
    let mut program = None;
    if !raws.is_empty() && !syntax_failed {
        let resolver = resolve::Resolver {
            files: &raws,
            root_at: SourceRef::new(FileId(0), 0..0),
        };
        program = resolver.resolve(&mut diags);
    }
    diagnostic::sort(&mut diags);
    let mut partial = None;
    if diags.iter().any(Diagnostic::is_error) {
        partial = program.take();
    }
    Loaded {
        program,
        partial,
        sources,
        diagnostics: diags,
    }
}

/// Reads a plan held entirely in memory (no includes possible beyond `files`).
pub fn load_str(root_name: &str, text: &str, files: &[(&str, &str)]) -> Loaded {
    let mut fetch = |path: &str| {
        files
            .iter()
            .find(|(name, _)| *name == path)
            .map(|(_, t)| t.as_bytes().to_vec())
            .ok_or_else(|| "no such file".to_string())
    };
    load(root_name, text.as_bytes(), &mut fetch)
}

#[allow(clippy::too_many_arguments)]
fn read_recursive(
    name: &str,
    bytes: &[u8],
    included_at: Option<SourceRef>,
    load_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    raws: &mut Vec<raw::RawFile>,
    visiting: &mut Vec<String>,
    seen: &mut Vec<(String, Option<SourceRef>)>,
) {
    let text = match decode(name, bytes) {
        Ok(t) => t,
        Err(msg) => {
            let d = match included_at {
                Some(at) => Diagnostic::new(
                    Code::UnreadableFile,
                    at,
                    format!("cannot read included file `{name}`"),
                )
                .label(msg),
                None => Diagnostic::nowhere(
                    Code::UnreadableFile,
                    format!("cannot read `{name}`: {msg}"),
                ),
            };
            diags.push(d);
            return;
        }
    };
    let file = sources.add(SourceFile::new(name, text.as_str()));
    let (table, errors) = toml::de::DeTable::parse_recoverable(&text);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim();
        let (first, rest) = message.split_once('\n').unwrap_or((message, ""));
        let mut d = Diagnostic::new(
            Code::TomlSyntax,
            SourceRef::new(file, span),
            format!("TOML syntax error: {first}"),
        );
        if !rest.trim().is_empty() {
            d = d.label(rest.trim().replace('\n', "; "));
        }
        diags.push(d);
    }
    let span = table.span();
    let table = table.into_inner();
    let raw = {
        let mut ctx = reader::Ctx { file, diags };
        raw::read_file(&mut ctx, &table, span)
    };
    let includes = raw.includes.clone();
    raws.push(raw);
    visiting.push(name.to_string());
    for inc in includes {
        let path = join(name, &inc.v);
        if let Some(pos) = visiting.iter().position(|v| *v == path) {
            let chain: Vec<&str> = visiting[pos..]
                .iter()
                .map(String::as_str)
                .chain([path.as_str()])
                .collect();
            diags.push(
                Diagnostic::new(
                    Code::Include,
                    inc.at,
                    format!("include cycle through `{path}`"),
                )
                .label(format!("include cycle: {}", chain.join(" → "))),
            );
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == path) {
            let mut d =
                Diagnostic::new(Code::Include, inc.at, format!("`{path}` is included twice"))
                    .label("already included");
            if let Some(first) = first {
                d = d.help(format!("first included at {}", sources.locate(*first)));
            }
            diags.push(d);
            continue;
        }
        if visiting.len() >= MAX_INCLUDE_DEPTH {
            diags.push(
                Diagnostic::new(Code::Include, inc.at, "includes are nested too deeply")
                    .label(format!("more than {MAX_INCLUDE_DEPTH} levels")),
            );
            continue;
        }
        seen.push((path.clone(), Some(inc.at)));
        match load_file(&path) {
            Ok(bytes) => read_recursive(
                &path,
                &bytes,
                Some(inc.at),
                load_file,
                sources,
                diags,
                raws,
                visiting,
                seen,
            ),
            Err(msg) => diags.push(
                Diagnostic::new(
                    Code::Include,
                    inc.at,
                    format!("cannot read included file `{path}`"),
                )
                .label(msg)
                .help("include paths are relative to the file that includes them"),
            ),
        }
    }
    visiting.pop();
}

fn decode(name: &str, bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "`{name}` is {} MB; plan files are limited to {} MB",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(format!(
                "not UTF-8 text: invalid byte at line {line} (byte offset {offset}); save the file as UTF-8"
            ))
        }
    }
}

/// Joins an include path to the directory of the including file, lexically.
fn join(including: &str, include: &str) -> String {
    let base = Path::new(including).parent().unwrap_or(Path::new(""));
    let joined = if Path::new(include).is_absolute() {
        PathBuf::from(include)
    } else {
        base.join(include)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_join_relative_to_the_including_file() {
        assert_eq!(
            join("plans/main.toml", "teams/pay.toml"),
            "plans/teams/pay.toml"
        );
        assert_eq!(
            join("plans/teams/pay.toml", "../common.toml"),
            "plans/common.toml"
        );
        assert_eq!(join("main.toml", "./a.toml"), "a.toml");
    }
}
