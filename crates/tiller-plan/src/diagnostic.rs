//! Plan diagnostics: stable codes, spans, and compiler-style rendering through miette.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use tiller_core::SourceRef;

use crate::source::{SourceFile, SourceMap};

/// A plan file as miette reads it: snippets are cut using the file's line index, so
/// rendering a diagnostic costs the same near the end of a 15 MB file as at its start
/// (miette's own implementation scans from the beginning every time).
struct Snippet<'a>(&'a SourceFile);

impl miette::SourceCode for Snippet<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let file = self.0;
        let text = file.text.as_bytes();
        let starts = file.line_starts();
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = file.line_index(span.offset());
        let last = file.line_index(
            (span.offset() + span.len())
                .saturating_sub(1)
                .max(span.offset()),
        );
        let from_line = first.saturating_sub(context_lines_before);
        let to_line = (last + context_lines_after).min(starts.len() - 1);
        let end = starts.get(to_line + 1).copied().unwrap_or(text.len());
        // Without context, miette wants the contents to start at the span, with the
        // span's column (this is how it finds the `line:col` it prints).
        let (start, column) = if context_lines_before == 0 {
            let line_start = starts[first];
            let column = file
                .text
                .get(line_start..span.offset())
                .map_or(0, |s| s.chars().count());
            (span.offset(), column)
        } else {
            (starts[from_line], 0)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            &text[start..end.max(start)],
            (start, end.max(start) - start).into(),
            from_line,
            column,
            to_line - from_line + 1,
        )))
    }
}

/// Stable diagnostic codes. The numbers never change meaning; `docs/diagnostics.md`
/// lists them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    TomlSyntax,
    UnreadableFile,
    UnknownKey,
    WrongType,
    MissingKey,
    InvalidValue,
    DuplicateId,
    InvalidId,
    UnknownReference,
    InvalidDependency,
    InvalidHierarchy,
    InvalidAssignment,
    Include,
    DependencyCycle,
    NoWorkingTime,
    TooFar,
    MissedDeadline,
    MissedPromise,
}

impl Code {
    pub const ALL: [Code; 18] = [
        Code::TomlSyntax,
        Code::UnreadableFile,
        Code::UnknownKey,
        Code::WrongType,
        Code::MissingKey,
        Code::InvalidValue,
        Code::DuplicateId,
        Code::InvalidId,
        Code::UnknownReference,
        Code::InvalidDependency,
        Code::InvalidHierarchy,
        Code::InvalidAssignment,
        Code::Include,
        Code::DependencyCycle,
        Code::NoWorkingTime,
        Code::TooFar,
        Code::MissedDeadline,
        Code::MissedPromise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::TomlSyntax => "E0001",
            Code::UnreadableFile => "E0002",
            Code::UnknownKey => "E0101",
            Code::WrongType => "E0102",
            Code::MissingKey => "E0103",
            Code::InvalidValue => "E0104",
            Code::DuplicateId => "E0105",
            Code::InvalidId => "E0106",
            Code::UnknownReference => "E0201",
            Code::InvalidDependency => "E0202",
            Code::InvalidHierarchy => "E0203",
            Code::InvalidAssignment => "E0204",
            Code::Include => "E0301",
            Code::DependencyCycle => "E0401",
            Code::NoWorkingTime => "E0402",
            Code::TooFar => "E0403",
            Code::MissedDeadline => "W0501",
            Code::MissedPromise => "W0502",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::MissedDeadline | Code::MissedPromise => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    /// What is wrong, in one line.
    pub message: String,
    /// Where; `None` for problems with no place in a file (an unreadable root file).
    pub at: Option<SourceRef>,
    /// Shown under the caret: usually what was expected and what was found.
    pub label: String,
    /// Further places in the same file, with their labels.
    pub also: Vec<(SourceRef, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, at: SourceRef, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            at: Some(at),
            label: String::new(),
            also: Vec::new(),
            help: None,
        }
    }

    pub fn nowhere(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            at: None,
            label: String::new(),
            also: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn also(mut self, at: SourceRef, label: impl Into<String>) -> Self {
        self.also.push((at, label.into()));
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Orders diagnostics by file and position, so output follows the files top to bottom.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.at.map(|s| (s.file, s.start, s.end));
        key(a)
            .cmp(&key(b))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
}

/// A diagnostic joined with its source file, as miette wants it.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: Option<Snippet<'a>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

fn span(at: SourceRef) -> SourceSpan {
    SourceSpan::new(
        (at.start as usize).into(),
        at.end.saturating_sub(at.start) as usize,
    )
}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let at = self.diag.at?;
        self.source.as_ref()?;
        let label = (!self.diag.label.is_empty()).then(|| self.diag.label.clone());
        let primary = LabeledSpan::new_primary_with_span(label, span(at));
        let others = self
            .diag
            .also
            .iter()
            .filter(move |(s, _)| s.file == at.file)
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), span(*s)));
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

/// How to render diagnostics for a terminal or for a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode box drawing, no colours: stable output for files and tests.
    Plain,
    /// Colours for an interactive terminal.
    Color,
}

/// At most this many diagnostics are drawn with their source; past that, a plan is
/// broken wholesale (a wrong file, say) and the count says more than the details.
pub const MAX_RENDERED: usize = 200;

/// Renders diagnostics as a compiler would: code, message, `file:line:col`, the source
/// line with the span underlined, labels and help. A summary line ends the output.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Plain => GraphicalTheme::unicode_nocolor(),
        Style::Color => GraphicalTheme::unicode(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diags.iter().take(MAX_RENDERED) {
        let source = d.at.and_then(|at| sources.get(at.file)).map(Snippet);
        let report = Report { diag: d, source };
        let mut one = String::new();
        if handler.render_report(&mut one, &report).is_err() {
            one = format!("{}: {}\n", d.code, d.message);
        }
        out.push_str(&one);
        // Places outside the primary file have no snippet; name them instead.
        for (at, label) in &d.also {
            if Some(at.file) != d.at.map(|a| a.file) {
                out.push_str(&format!("  note: {label} at {}\n", sources.locate(*at)));
            }
        }
        out.push('\n');
    }
    if diags.len() > MAX_RENDERED {
        out.push_str(&format!(
            "… and {} more not shown (`tiller check --json` lists them all)\n",
            diags.len() - MAX_RENDERED
        ));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        out.push_str(&summary_line(errors, warnings));
        out.push('\n');
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary_line(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, w) => format!("{} found", plural(w, "warning")),
        (e, 0) => format!("{} found", plural(e, "error")),
        (e, w) => format!("{} and {} found", plural(e, "error"), plural(w, "warning")),
    }
}
