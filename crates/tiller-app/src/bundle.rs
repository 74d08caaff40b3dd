//! Plans held in memory as bundles (a root file and the files it includes, by path),
//! and progress, RAID and baseline records entered outside the plan files (on the
//! server) merged into them.
//!
//! A bundle is what the server stores for each plan revision. Records are JSON objects
//! with the keys of the plan format (`[[progress]]`, `[[risk]]`, …); merging turns them
//! into plan text, so the plan reader validates them exactly as it validates files, and
//! a record whose key (task and date for progress, id for RAID entries) matches an entry
//! of the files replaces that entry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiller_core::Program;
use tiller_plan::{Loaded, SourceMap};

/// A plan in memory: the root file's path and every file's text by path. Paths are
/// relative, use `/`, and never leave the bundle's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub root: String,
    pub files: BTreeMap<String, String>,
}

/// Why a bundle could not be read or is not acceptable.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read `{path}`: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("`{0}`: plan file paths must be relative and stay inside the plan's directory")]
    BadPath(String),
    #[error("the bundle has no file `{0}` for its root")]
    NoRoot(String),
    #[error("`{path}` is not UTF-8 text")]
    NotText { path: String },
}

/// Checks that a path is relative, `/`-separated and does not climb out of the bundle.
pub fn check_path(path: &str) -> Result<(), BundleError> {
    let bad = || BundleError::BadPath(path.to_string());
    if path.is_empty() || path.len() > 1024 || path.contains('\\') || path.contains('\0') {
        return Err(bad());
    }
    for c in Path::new(path).components() {
        match c {
            Component::Normal(_) => {}
            _ => return Err(bad()),
        }
    }
    Ok(())
}

impl Bundle {
    /// Reads a plan from disk: the root file and every file it includes (transitively),
    /// with paths relative to the root file's directory.
    pub fn read(root_path: &Path) -> Result<Bundle, BundleError> {
        let io = |p: &Path, cause| BundleError::Io {
            path: p.display().to_string(),
            cause,
        };
        let dir = root_path.parent().unwrap_or(Path::new(""));
        let name = root_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| BundleError::BadPath(root_path.display().to_string()))?;
        let root = std::fs::read(root_path).map_err(|e| io(root_path, e))?;
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut problems = Vec::new();
        {
            let mut fetch = |p: &str| -> Result<Vec<u8>, String> {
                if check_path(p).is_err() {
                    problems.push(BundleError::BadPath(p.to_string()));
                    return Err("outside the plan's directory".to_string());
                }
                let bytes = std::fs::read(dir.join(p)).map_err(|e| e.to_string())?;
                files.insert(p.to_string(), bytes.clone());
                Ok(bytes)
            };
            tiller_plan::load(&name, &root, &mut fetch);
        }
        if let Some(p) = problems.into_iter().next() {
            return Err(p);
        }
        files.insert(name.clone(), root);
        let files = files
            .into_iter()
            .map(|(path, bytes)| match String::from_utf8(bytes) {
                Ok(text) => Ok((path, text)),
                Err(_) => Err(BundleError::NotText { path }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Bundle { root: name, files })
    }

    /// Checks every path and that the root is present.
    pub fn check(&self) -> Result<(), BundleError> {
        for p in self.files.keys() {
            check_path(p)?;
        }
        if !self.files.contains_key(&self.root) {
            return Err(BundleError::NoRoot(self.root.clone()));
        }
        Ok(())
    }

    /// Reads the plan from the bundle (no IO).
    pub fn load(&self) -> Loaded {
        let root = self.files.get(&self.root).map_or("", String::as_str);
        let mut fetch = |p: &str| {
            self.files
                .get(p)
                .map(|t| t.as_bytes().to_vec())
                .ok_or_else(|| "no such file in the plan bundle".to_string())
        };
        tiller_plan::load(&self.root, root.as_bytes(), &mut fetch)
    }

    /// Total size of the files in bytes.
    pub fn size(&self) -> usize {
        self.files.iter().map(|(p, t)| p.len() + t.len()).sum()
    }
}

/// The kinds of record that can be entered outside the plan files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Progress,
    Risk,
    Issue,
    Decision,
    Assumption,
}

impl RecordKind {
    pub const RAID: [RecordKind; 4] = [
        RecordKind::Risk,
        RecordKind::Issue,
        RecordKind::Decision,
        RecordKind::Assumption,
    ];

    /// The array-of-tables name in the plan format.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Progress => "progress",
            RecordKind::Risk => "risk",
            RecordKind::Issue => "issue",
            RecordKind::Decision => "decision",
            RecordKind::Assumption => "assumption",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        [RecordKind::Progress]
            .into_iter()
            .chain(RecordKind::RAID)
            .find(|k| k.table() == s)
    }

    pub fn is_raid(self) -> bool {
        self != RecordKind::Progress
    }
}

/// A progress update or RAID entry as a JSON object with the plan format's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: RecordKind,
    pub body: serde_json::Map<String, Value>,
}

/// Keys whose values are dates: written as TOML dates.
const DATE_KEYS: &[&str] = &[
    "date",
    "started",
    "finished",
    "raised",
    "due",
    "mitigation_due",
    "needed_by",
    "decided_on",
    "validate_by",
];

impl Record {
    /// The record's identity: `TASK@DATE` for progress, the id for RAID entries.
    pub fn key(&self) -> Result<String, String> {
        let text = |k: &str| match self.body.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(format!("`{k}` is required and must be a string")),
        };
        if self.kind == RecordKind::Progress {
            let task = text("task")?;
            let date = text("date")?;
            NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|_| format!("`date` must be a date such as 2027-02-12, found `{date}`"))?;
            Ok(progress_key(&task, &date))
        } else {
            text("id")
        }
    }

    /// The record as a plan-file entry (`[[risk]]` and its keys).
    pub fn to_toml(&self) -> Result<String, String> {
        let mut out = format!("[[{}]]\n", self.kind.table());
        // Identity first, the rest in name order.
        const FIRST: [&str; 4] = ["id", "task", "date", "title"];
        let first = FIRST.iter().filter_map(|k| self.body.get_key_value(*k));
        let rest = self
            .body
            .iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()));
        for (k, v) in first.chain(rest) {
            if v.is_null() {
                continue;
            }
            let value = toml_value(k, v, 0)?;
            let _ = writeln!(out, "{} = {value}", toml_key(k));
        }
        Ok(out)
    }
}

/// The key of a progress record.
pub fn progress_key(task: &str, date: &str) -> String {
    format!("{task}@{date}")
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        tiller_plan::write::quoted(k)
    }
}

fn toml_value(key: &str, v: &Value, depth: usize) -> Result<String, String> {
    if depth > 8 {
        return Err("values are nested too deeply".to_string());
    }
    Ok(match v {
        Value::Null => "\"\"".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if n.as_f64().is_some_and(|x| !x.is_finite()) {
                return Err(format!("`{key}` is not a finite number"));
            }
            n.to_string()
        }
        Value::String(s) => {
            if DATE_KEYS.contains(&key) && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
                s.clone()
            } else {
                tiller_plan::write::quoted(s)
            }
        }
        Value::Array(items) => {
            let parts: Result<Vec<String>, String> = items
                .iter()
                .map(|i| toml_value(key, i, depth + 1))
                .collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(map) => {
            let parts: Result<Vec<String>, String> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    Ok(format!(
                        "{} = {}",
                        toml_key(k),
                        toml_value(k, v, depth + 1)?
                    ))
                })
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
    })
}

/// Where each progress update, RAID entry and baseline of a bundle is written, so that
/// records can replace them without reading every file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleIndex {
    /// `TASK@DATE` → file.
    pub progress: BTreeMap<String, String>,
    /// RAID id → (kind, file).
    pub raid: BTreeMap<String, (RecordKind, String)>,
    /// Baseline name → file.
    pub baselines: BTreeMap<String, String>,
}

impl BundleIndex {
    /// The index of a plan that loaded.
    pub fn of(program: &Program, sources: &SourceMap) -> BundleIndex {
        let file = |at: tiller_core::SourceRef| {
            sources
                .get(at.file)
                .map_or_else(String::new, |f| f.name.clone())
        };
        let mut index = BundleIndex::default();
        for p in &program.progress {
            let key = progress_key(&program.task(p.task).id, &p.date.to_string());
            index.progress.insert(key, file(p.src));
        }
        let raid = program
            .risks
            .iter()
            .map(|r| (&r.id, RecordKind::Risk, r.src))
            .chain(
                program
                    .issues
                    .iter()
                    .map(|r| (&r.id, RecordKind::Issue, r.src)),
            )
            .chain(
                program
                    .decisions
                    .iter()
                    .map(|r| (&r.id, RecordKind::Decision, r.src)),
            )
            .chain(
                program
                    .assumptions
                    .iter()
                    .map(|r| (&r.id, RecordKind::Assumption, r.src)),
            );
        for (id, kind, at) in raid {
            index.raid.insert(id.clone(), (kind, file(at)));
        }
        for b in &program.baselines {
            index.baselines.insert(b.name.clone(), file(b.src));
        }
        index
    }
}

/// A baseline recorded outside the files: its name and its plan text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineText {
    pub name: String,
    pub text: String,
}

/// How merged records are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Cheapest to build: new entries are appended to the root file. For analysis.
    Analysis,
    /// As a person would keep them: new progress in a dated status file, new RAID
    /// entries at the end of the root file (replaced ones where they were), baselines
    /// in `baselines/NAME.toml`, each new file included from the root. For `tiller pull`.
    Files { today: NaiveDate },
}

fn join_dir(root: &str, rel: &str) -> String {
    match root.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{rel}"),
        None => rel.to_string(),
    }
}

fn same_date(item: Option<&toml_edit::Item>, date: &str) -> bool {
    match item.and_then(toml_edit::Item::as_value) {
        Some(toml_edit::Value::Datetime(d)) => d.value().to_string() == date,
        Some(toml_edit::Value::String(s)) => s.value() == date,
        _ => false,
    }
}

/// Removes the entries that records replace from one file.
fn remove_entries(text: &str, remove: &[(RecordKind, String)]) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    for (kind, key) in remove {
        let Some(array) = doc
            .get_mut(kind.table())
            .and_then(toml_edit::Item::as_array_of_tables_mut)
        else {
            continue;
        };
        let position = array.iter().position(|t| {
            if *kind == RecordKind::Progress {
                let (task, date) = key.rsplit_once('@').unwrap_or((key, ""));
                t.get("task").and_then(toml_edit::Item::as_str) == Some(task)
                    && same_date(t.get("date"), date)
            } else {
                t.get("id").and_then(toml_edit::Item::as_str) == Some(key.as_str())
            }
        });
        if let Some(i) = position {
            array.remove(i);
        }
    }
    Ok(doc.to_string())
}

fn append(files: &mut BTreeMap<String, String>, path: &str, text: &str) {
    let file = files.entry(path.to_string()).or_default();
    if !file.is_empty() && !file.ends_with('\n') {
        file.push('\n');
    }
    file.push_str(text);
}

/// The bundle with records and baselines merged in. Records replace file entries with
/// the same key; baselines whose name a file already records are left out (the file's
/// copy wins: it is what a pulled-and-pushed plan contains).
pub fn merge(
    bundle: &Bundle,
    index: &BundleIndex,
    records: &[Record],
    baselines: &[BaselineText],
    layout: Layout,
) -> Result<Bundle, String> {
    let mut out = bundle.clone();
    if records.is_empty()
        && baselines
            .iter()
            .all(|b| index.baselines.contains_key(&b.name))
    {
        return Ok(out);
    }
    // Entries to take out of each file.
    let mut removals: BTreeMap<String, Vec<(RecordKind, String)>> = BTreeMap::new();
    // Where each record goes.
    let mut placed: Vec<(String, String)> = Vec::new();
    let status_file = match layout {
        Layout::Analysis => bundle.root.clone(),
        Layout::Files { today } => {
            let mut p = join_dir(&bundle.root, &format!("status/{today}.toml"));
            let mut n = 1;
            while bundle.files.contains_key(&p) {
                n += 1;
                p = join_dir(&bundle.root, &format!("status/{today}-{n}.toml"));
            }
            p
        }
    };
    let mut new_files: BTreeSet<String> = BTreeSet::new();
    for r in records {
        let key = r.key()?;
        let existing = if r.kind == RecordKind::Progress {
            index
                .progress
                .get(&key)
                .cloned()
                .map(|f| (RecordKind::Progress, f))
        } else {
            index.raid.get(&key).cloned()
        };
        let target = match (&existing, layout) {
            // Pulled files keep a replaced entry where it was.
            (Some((_, file)), Layout::Files { .. }) => file.clone(),
            _ if r.kind == RecordKind::Progress => status_file.clone(),
            _ => bundle.root.clone(),
        };
        if let Some((kind, file)) = existing {
            removals.entry(file).or_default().push((kind, key));
        }
        if !bundle.files.contains_key(&target) {
            new_files.insert(target.clone());
        }
        placed.push((target, r.to_toml()?));
    }
    for (file, remove) in &removals {
        let Some(text) = out.files.get(file) else {
            continue;
        };
        let updated = remove_entries(text, remove)?;
        out.files.insert(file.clone(), updated);
    }
    let mut headed: BTreeSet<String> = BTreeSet::new();
    for (target, text) in placed {
        if headed.insert(target.clone()) {
            let head = if new_files.contains(&target) {
                "# Progress entered on the Tiller server.\n"
            } else {
                "\n# Entered on the Tiller server.\n"
            };
            append(&mut out.files, &target, head);
        }
        append(&mut out.files, &target, &format!("\n{text}"));
    }
    for b in baselines {
        if index.baselines.contains_key(&b.name) {
            continue;
        }
        match layout {
            Layout::Analysis => append(&mut out.files, &bundle.root, &format!("\n{}", b.text)),
            Layout::Files { .. } => {
                let mut p = join_dir(&bundle.root, &format!("baselines/{}.toml", b.name));
                let mut n = 1;
                while out.files.contains_key(&p) {
                    n += 1;
                    p = join_dir(&bundle.root, &format!("baselines/{}-{n}.toml", b.name));
                }
                out.files.insert(p.clone(), b.text.clone());
                new_files.insert(p);
            }
        }
    }
    if !new_files.is_empty() {
        let root_dir_len = bundle.root.rfind('/').map_or(0, |i| i + 1);
        let mut root = out.files.get(&bundle.root).cloned().unwrap_or_default();
        for f in &new_files {
            let rel = &f[root_dir_len..];
            if let Some(updated) = crate::tracking::add_include(&root, rel)? {
                root = updated;
            }
        }
        out.files.insert(bundle.root.clone(), root);
    }
    Ok(out)
}

/// A small plan that checks one record the way the whole plan would: the program's
/// settings that the plan reader uses to read a record (start, currency, status date,
/// the default calendar's hours per day and working week), a stub for every task,
/// milestone, person and RAID entry the record names (any string value of the record
/// that is such an id), and the record itself.
///
/// Reading it gives the record's own problems (values, dates, kinds, references) in
/// the time it takes to read a few lines, whatever the size of the plan. It does not
/// see what only the whole plan shows (the schedule, entries that name this one): a
/// caller that needs those checks them separately. `raid` lists the RAID ids in force
/// (files and records) with their kinds; the record's own id is not stubbed, since the
/// record takes its place.
pub fn probe_plan(
    program: &Program,
    raid: &BTreeMap<String, RecordKind>,
    record: &Record,
) -> Result<String, String> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    fn strings<'a>(v: &'a Value, out: &mut BTreeSet<&'a str>, depth: usize) {
        if depth > 8 {
            return;
        }
        match v {
            Value::String(s) => {
                out.insert(s.as_str());
            }
            Value::Array(items) => items.iter().for_each(|i| strings(i, out, depth + 1)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out, depth + 1)),
            _ => {}
        }
    }
    for v in record.body.values() {
        strings(v, &mut names, 0);
    }
    let own_id = if record.kind.is_raid() {
        record.body.get("id").and_then(Value::as_str)
    } else {
        None
    };
    let q = tiller_plan::write::quoted;
    let mut out = String::with_capacity(1024);
    let _ = writeln!(
        out,
        "[program]\nname = \"record check\"\nstart = {}\ncurrency = {}",
        program.start,
        q(&program.currency)
    );
    if let Some(d) = program.status_date {
        let _ = writeln!(out, "status_date = {d}");
    }
    if let Some(cal) = program.calendars.get(program.default_calendar.index()) {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let week: Vec<String> = DAYS
            .iter()
            .zip(cal.workweek.0)
            .filter(|(_, on)| *on)
            .map(|(d, _)| format!("\"{d}\""))
            .collect();
        let _ = writeln!(
            out,
            "\n[calendar.default]\nworkweek = [{}]\nhours_per_day = {:?}",
            week.join(", "),
            cal.hours_per_day
        );
    }
    let mut child = 0usize;
    for t in &program.tasks {
        if !names.contains(t.id.as_str()) {
            continue;
        }
        match t.kind {
            tiller_core::TaskKind::Milestone => {
                let _ = writeln!(out, "\n[[milestone]]\nid = {}", q(&t.id));
            }
            tiller_core::TaskKind::Leaf => {
                let _ = writeln!(out, "\n[[task]]\nid = {}\neffort = \"1d\"", q(&t.id));
            }
            tiller_core::TaskKind::Summary => {
                // A summary is a task that others name as their parent.
                let mut id = format!("tiller-probe-child-{child}");
                while program.tasks.iter().any(|x| x.id == id) {
                    child += 1;
                    id = format!("tiller-probe-child-{child}");
                }
                child += 1;
                let _ = writeln!(
                    out,
                    "\n[[task]]\nid = {}\n\n[[task]]\nid = {}\nparent = {}\neffort = \"1d\"",
                    q(&t.id),
                    q(&id),
                    q(&t.id)
                );
            }
        }
    }
    for p in &program.people {
        if names.contains(p.id.as_str()) {
            let _ = writeln!(out, "\n[person.{}]", q(&p.id));
        }
    }
    for (id, kind) in raid {
        if names.contains(id.as_str()) && Some(id.as_str()) != own_id {
            let _ = writeln!(
                out,
                "\n[[{}]]\nid = {}\ntitle = {}",
                kind.table(),
                q(id),
                q(id)
            );
        }
    }
    out.push('\n');
    out.push_str(&record.to_toml()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(kind: RecordKind, v: Value) -> Record {
        Record {
            kind,
            body: v.as_object().expect("object").clone(),
        }
    }

    fn checkout() -> Bundle {
        let ex = crate::examples::CHECKOUT;
        let mut files = BTreeMap::new();
        let strip = |p: &str| p.trim_start_matches("examples/checkout/").to_string();
        files.insert("program.toml".to_string(), ex.root.to_string());
        for (p, t) in ex.files {
            files.insert(strip(p), t.to_string());
        }
        Bundle {
            root: "program.toml".to_string(),
            files,
        }
    }

    #[test]
    fn records_merge_into_a_plan_that_still_checks() {
        let bundle = checkout();
        let loaded = bundle.load();
        let program = loaded.program.as_ref().expect("example checks");
        let index = BundleIndex::of(program, &loaded.sources);
        assert!(index.raid.contains_key("R-PCI"));
        let records = vec![
            record(
                RecordKind::Risk,
                json!({"id": "R-PCI", "title": "QSA finds gaps", "probability": 0.5, "affects": ["sec.pci.qsa"]}),
            ),
            record(
                RecordKind::Issue,
                json!({"id": "I-NEW", "title": "Build farm \"flaky\"", "severity": "high", "raised": "2027-02-10"}),
            ),
            record(
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "done": 0.3, "note": "on track"}),
            ),
        ];
        for layout in [
            Layout::Analysis,
            Layout::Files {
                today: NaiveDate::from_ymd_opt(2027, 2, 14).expect("date"),
            },
        ] {
            let merged = merge(&bundle, &index, &records, &[], layout).expect("merges");
            let loaded = merged.load();
            assert!(
                loaded.program.is_some(),
                "{:?}",
                loaded
                    .diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>()
            );
            let p = loaded.program.expect("checks");
            let pci = p.risks.iter().find(|r| r.id == "R-PCI").expect("kept");
            assert_eq!(pci.impact.probability, 0.5);
            assert_eq!(p.risks.iter().filter(|r| r.id == "R-PCI").count(), 1);
            assert!(p.issues.iter().any(|i| i.title == "Build farm \"flaky\""));
            if let Layout::Files { .. } = layout {
                assert!(merged.files.contains_key("status/2027-02-14.toml"));
                assert!(merged.files["program.toml"].contains("status/2027-02-14.toml"));
            }
        }
    }

    #[test]
    fn bad_records_are_reported_by_the_plan_reader() {
        let bundle = checkout();
        let loaded = bundle.load();
        let index = BundleIndex::of(loaded.program.as_ref().expect("ok"), &loaded.sources);
        let bad = record(
            RecordKind::Progress,
            json!({"task": "pay.apx", "date": "2027-02-14", "done": 0.3}),
        );
        let merged = merge(&bundle, &index, &[bad], &[], Layout::Analysis).expect("merges");
        let loaded = merged.load();
        assert!(loaded.program.is_none());
        assert!(
            loaded
                .diagnostics
                .iter()
                .any(|d| d.message.contains("pay.apx"))
        );
    }

    #[test]
    fn a_probe_plan_accepts_and_rejects_records_as_the_whole_plan_does() {
        let bundle = checkout();
        let loaded = bundle.load();
        let program = loaded.program.as_ref().expect("example checks");
        let index = BundleIndex::of(program, &loaded.sources);
        let raid: BTreeMap<String, RecordKind> = index
            .raid
            .iter()
            .map(|(id, (kind, _))| (id.clone(), *kind))
            .collect();
        let cases = [
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "done": 0.3, "note": "on track"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "status": "done", "finished": "2027-02-12", "by": "alice", "cost": "1,200", "remaining": "2h"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.apx", "date": "2027-02-14", "done": 0.3}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay", "date": "2027-02-14", "done": 0.3}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "done": 0.3, "by": "nobody"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "status": "not_started", "done": 0.5}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "started": "2027-02-20"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2227-02-14", "done": 0.1}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "pay.api", "date": "2027-02-14", "colour": "blue"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "m.ga", "date": "2027-02-14", "status": "not_started"}),
            ),
            (
                RecordKind::Risk,
                json!({"id": "R-PCI", "title": "QSA finds gaps", "probability": 0.5, "affects": ["sec.pci.qsa", "I-SANDBOX"]}),
            ),
            (
                RecordKind::Risk,
                json!({"id": "R-NEW", "title": "New", "probability": 1.5}),
            ),
            (
                RecordKind::Risk,
                json!({"id": "R-NEW", "title": "New", "affects": ["nothing.here"]}),
            ),
            (
                RecordKind::Issue,
                json!({"id": "I-NEW", "title": "New", "severity": "high", "owner": "alice", "due": "2027-03-01"}),
            ),
            (
                RecordKind::Issue,
                json!({"id": "I-NEW", "title": "New", "severity": "dire"}),
            ),
            (
                RecordKind::Decision,
                json!({"id": "DEC-NEW", "title": "New", "status": "decided", "decided_by": "raj", "decided_on": "2027-02-01"}),
            ),
            (
                RecordKind::Assumption,
                json!({"id": "A-NEW", "title": "New", "status": "open", "validate_by": "2027-04-01", "affects": ["pay"]}),
            ),
        ];
        for (kind, body) in cases {
            let r = record(kind, body.clone());
            let text = probe_plan(program, &raid, &r).expect("probe");
            let probed = tiller_plan::load_str("program.toml", &text, &[]);
            let probe_ok = !probed.has_errors();
            let merged = merge(
                &bundle,
                &index,
                std::slice::from_ref(&r),
                &[],
                Layout::Analysis,
            )
            .expect("merges");
            let whole_ok = !merged.load().has_errors();
            let messages: Vec<&str> = probed
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.as_str())
                .collect();
            assert_eq!(probe_ok, whole_ok, "{body}\n{text}\n{messages:?}");
        }
    }

    #[test]
    fn paths_must_stay_inside_the_bundle() {
        assert!(check_path("teams/a.toml").is_ok());
        for bad in ["../a.toml", "/etc/passwd", "a/../../b", "", "a\\b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
