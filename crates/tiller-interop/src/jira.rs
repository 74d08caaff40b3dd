//! Jira CSV export → plan.
//!
//! Jira repeats a column header once per value (`Labels`, `Sprint`,
//! `Outward issue link (Blocks)`, ...): every column is kept and the values of
//! same-named columns are collected. Epics and issues with sub-tasks become summaries,
//! `Blocks` links become dependencies, estimates become effort (original estimate, or
//! story points at `points_per_day`), and the status becomes progress.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use tiller_core::DepKind;

use crate::ImportOptions;
use crate::common::parse_f64;
use crate::error::{ImportError, Result};
use crate::ids;
use crate::plan::{Cal, Dep, Person, Plan, Progress, Status, Task, Work};

pub const FORMAT: &str = "Jira CSV";
const SHORT: &str = "Jira CSV";

/// Date formats tried when `--date-format` is not given: Jira's default
/// (`25/Jun/20 12:44`, `25/Jun/20 12:44 PM`), ISO, and common locale variants.
const DATE_FORMATS: &[&str] = &[
    "%d/%b/%y %H:%M",
    "%d/%b/%y %I:%M %p",
    "%d/%b/%y %l:%M %p",
    "%d/%b/%Y %H:%M",
    "%d/%b/%Y %I:%M %p",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M",
];

/// The hours in a working day used to turn Jira's time estimates (seconds) into days.
const HOURS_PER_DAY: f64 = 8.0;

struct Sheet {
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    fn cols(&self, name: &str) -> Vec<usize> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect()
    }
}

fn parse_sheet(text: &str) -> Result<Sheet> {
    let delimiter = {
        let first = text.lines().next().unwrap_or("");
        if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            let mut err = ImportError::new(format!("malformed CSV: {e}")).format(SHORT);
            if let Some(l) = line {
                err = err.line(l);
            }
            err.expected("comma-separated values with double-quoted fields")
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let values: Vec<String> = rec.iter().map(str::to_string).collect();
        if headers.is_none() {
            headers = Some(values);
        } else if values.iter().any(|v| !v.trim().is_empty()) {
            rows.push((line, values));
        }
    }
    let headers = headers.ok_or_else(|| {
        ImportError::new("the file is empty")
            .format(SHORT)
            .expected("a header row")
    })?;
    Ok(Sheet { headers, rows })
}

fn parse_jira_date(s: &str, format: Option<&str>) -> std::result::Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let try_one = |f: &str| {
        NaiveDateTime::parse_from_str(s, f)
            .map(|d| d.date())
            .or_else(|_| NaiveDate::parse_from_str(s, f))
            .or_else(|_| chrono::DateTime::parse_from_str(s, f).map(|d| d.date_naive()))
            .ok()
    };
    match format {
        Some(f) => try_one(f).map(Some).ok_or(()),
        None => DATE_FORMATS
            .iter()
            .find_map(|f| try_one(f))
            .or_else(|| try_one("%d/%b/%y"))
            .or_else(|| try_one("%Y-%m-%d"))
            .map(Some)
            .ok_or(()),
    }
}

pub fn import(text: &str, plan: &mut Plan, options: &ImportOptions) -> Result<()> {
    let sheet = parse_sheet(text)?;
    plan.format = FORMAT;
    let key_col = sheet.cols("Issue key").first().copied().ok_or_else(|| {
        ImportError::new("no \"Issue key\" column")
            .format(SHORT)
            .line(1)
            .expected("a Jira CSV export (Issues > Export > CSV)")
    })?;
    let one = |name: &str| sheet.cols(name).first().copied();
    let many = |name: &str| sheet.cols(name);
    let c_summary = one("Summary");
    let c_id = one("Issue id");
    let c_type = one("Issue Type");
    let c_status = one("Status");
    let c_status_cat = one("Status Category");
    let c_assignee = one("Assignee");
    let c_created = one("Created");
    let c_updated = one("Updated");
    let c_resolved = one("Resolved");
    let c_due = one("Due Date").or(one("Due date"));
    let c_orig = one("Original Estimate");
    let c_remaining = one("Remaining Estimate");
    let c_spent = one("Time Spent");
    let c_desc = one("Description");
    let c_points = one("Custom field (Story Points)")
        .or(one("Story Points"))
        .or(one("Custom field (Story point estimate)"));
    let c_epic_link = one("Custom field (Epic Link)").or(one("Epic Link"));
    let c_parent_id = one("Parent id").or(one("Parent"));
    let c_project = one("Project name");
    let labels = many("Labels");
    let sprints = many("Sprint");
    let out_blocks = many("Outward issue link (Blocks)");
    let in_blocks = many("Inward issue link (Blocks)");

    let get = |row: &[String], c: Option<usize>| -> Option<String> {
        c.and_then(|i| row.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let format = options.date_format.as_deref();
    let date = |row: &[String], c: Option<usize>, line: usize| -> Result<Option<NaiveDate>> {
        let Some(v) = get(row, c) else {
            return Ok(None);
        };
        parse_jira_date(&v, format).map_err(|_| {
            let col = c.map(|i| sheet.headers[i].clone()).unwrap_or_default();
            ImportError::new(format!("cannot read the date \"{v}\" in column \"{col}\""))
                .format(SHORT)
                .line(line)
                .expected(match format {
                    Some(f) => format!("a date in the format given with --date-format ({f})"),
                    None => "a Jira date such as 25/Jun/20 12:44; give the export's format with --date-format (e.g. \"%d/%b/%y %H:%M\")".to_string(),
                })
        })
    };

    plan.calendars.push(Cal {
        id_hint: "default".into(),
        name: "Standard".into(),
        workweek: [true, true, true, true, true, false, false],
        hours_per_day: HOURS_PER_DAY,
        holidays: Vec::new(),
        notes: vec!["Jira exports carry no working calendar: Monday to Friday, 8 hours".into()],
    });
    plan.program_calendar = Some(0);

    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut people: HashMap<String, usize> = HashMap::new();
    let mut created_min: Option<NaiveDate> = None;
    let mut updated_max: Option<NaiveDate> = None;
    struct Pending {
        parent: Option<String>,
        epic: Option<String>,
        blocks: Vec<String>,
        blocked_by: Vec<String>,
        status: Option<Status>,
        updated: Option<NaiveDate>,
        resolved: Option<NaiveDate>,
        remaining: Option<f64>,
        spent: Option<f64>,
        epic_type: bool,
        line: usize,
    }
    let mut pending: Vec<Pending> = Vec::new();
    for (line, row) in &sheet.rows {
        let line = *line;
        let Some(key) = get(row, Some(key_col)) else {
            return Err(ImportError::new("a row has no issue key")
                .format(SHORT)
                .line(line)
                .expected("an \"Issue key\" value such as PROJ-123"));
        };
        if by_key.contains_key(&key) {
            return Err(ImportError::new(format!("issue {key} appears twice"))
                .format(SHORT)
                .line(line)
                .expected("one row per issue"));
        }
        let summary = get(row, c_summary).unwrap_or_else(|| key.clone());
        let mut task = Task::new(ids::code(&key), summary);
        let itype = get(row, c_type).unwrap_or_default();
        let is_epic = itype.eq_ignore_ascii_case("epic");
        if plan.name.is_empty()
            && let Some(p) = get(row, c_project)
        {
            plan.name = p;
        }
        let created = date(row, c_created, line)?;
        if let Some(c) = created {
            created_min = Some(created_min.map_or(c, |m: NaiveDate| m.min(c)));
        }
        let updated = date(row, c_updated, line)?;
        if let Some(u) = updated {
            updated_max = Some(updated_max.map_or(u, |m: NaiveDate| m.max(u)));
        }
        let resolved = date(row, c_resolved, line)?;
        task.deadline = date(row, c_due, line)?;
        // Effort: original estimate (seconds), else story points.
        let orig = get(row, c_orig)
            .and_then(|v| parse_f64(&v))
            .filter(|s| *s > 0.0);
        let points = get(row, c_points)
            .and_then(|v| parse_f64(&v))
            .filter(|p| *p > 0.0);
        if let Some(sec) = orig {
            task.work = Some(Work {
                effort: true,
                days: sec / 3600.0 / HOURS_PER_DAY,
            });
        } else if let Some(p) = points {
            task.work = Some(Work {
                effort: true,
                days: p / options.points_per_day,
            });
            task.notes.push(format!(
                "{} story points at {} points per person-day",
                crate::plan::num(p),
                crate::plan::num(options.points_per_day)
            ));
            plan.note("efforts from story points");
        } else if !is_epic {
            task.work = Some(Work {
                effort: true,
                days: 1.0,
            });
            task.notes
                .push("no estimate in Jira: 1 person-day assumed".into());
            plan.note("issues without an estimate given 1 person-day");
        }
        task.summary = is_epic && task.work.is_none();
        if let Some(a) = get(row, c_assignee) {
            let n = plan.people.len();
            let p = *people.entry(a.clone()).or_insert(n);
            if p == n {
                plan.people.push(Person {
                    id_hint: ids::slug(a.split('@').next().unwrap_or(&a)),
                    email: a.contains('@').then(|| a.clone()),
                    name: a,
                    calendar: None,
                    rate: None,
                    availability: None,
                    off: Vec::new(),
                    notes: Vec::new(),
                });
            }
            task.assignees.push(p);
        }
        for c in labels.iter().chain(sprints.iter()) {
            if let Some(v) = get(row, Some(*c)) {
                task.tags.push(v);
            }
        }
        task.description = get(row, c_desc);
        let cat = get(row, c_status_cat)
            .or(get(row, c_status))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let status = if ["done", "closed", "resolved", "complete", "completed"]
            .contains(&cat.as_str())
        {
            Some(Status::Done)
        } else if cat.contains("progress") || cat.contains("review") || cat.contains("testing") {
            Some(Status::InProgress)
        } else {
            None
        };
        let collect = |cols: &[usize]| -> Vec<String> {
            cols.iter()
                .filter_map(|c| get(row, Some(*c)))
                .flat_map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|s| !s.is_empty())
                .collect()
        };
        pending.push(Pending {
            parent: get(row, c_parent_id),
            epic: get(row, c_epic_link),
            blocks: collect(&out_blocks),
            blocked_by: collect(&in_blocks),
            status,
            updated,
            resolved,
            remaining: get(row, c_remaining).and_then(|v| parse_f64(&v)),
            spent: get(row, c_spent).and_then(|v| parse_f64(&v)),
            epic_type: is_epic,
            line,
        });
        let idx = plan.tasks.len();
        by_key.insert(key, idx);
        if let Some(id) = get(row, c_id) {
            by_id.insert(id, idx);
        }
        plan.tasks.push(task);
    }
    if plan.name.is_empty() {
        plan.name = "Jira import".into();
    }
    plan.start = options.start.or(created_min);
    plan.status_date = updated_max;
    if plan.start.is_none() {
        return Err(
            ImportError::new("no issue has a Created date, and no --start was given")
                .format(SHORT)
                .expected("a \"Created\" column, or --start YYYY-MM-DD"),
        );
    }

    for (i, p) in pending.iter().enumerate() {
        // Hierarchy: sub-task parent (issue id or key), else epic link.
        let parent = p
            .parent
            .as_ref()
            .and_then(|x| by_id.get(x).or_else(|| by_key.get(x)))
            .or_else(|| p.epic.as_ref().and_then(|e| by_key.get(e)))
            .copied();
        if p.parent.is_some() && parent.is_none() && p.epic.is_none() {
            plan.task_note(
                i,
                "parents not in the export dropped",
                format!(
                    "its parent {} is not in the export",
                    p.parent.as_deref().unwrap_or("")
                ),
            );
        }
        if p.epic.is_some() && parent.is_none() {
            plan.task_note(
                i,
                "epic links to issues not in the export dropped",
                format!(
                    "its epic {} is not in the export",
                    p.epic.as_deref().unwrap_or("")
                ),
            );
        }
        plan.tasks[i].parent = parent.filter(|x| *x != i);
        for b in &p.blocks {
            match by_key.get(b) {
                Some(&s) => push_dep(plan, s, i),
                None => plan.task_note(
                    i,
                    "Blocks links to issues not in the export dropped",
                    format!("blocks {b}, which is not in the export"),
                ),
            }
        }
        for b in &p.blocked_by {
            match by_key.get(b) {
                Some(&pr) => push_dep(plan, i, pr),
                None => plan.task_note(
                    i,
                    "Blocks links to issues not in the export dropped",
                    format!("is blocked by {b}, which is not in the export"),
                ),
            }
        }
        if options.progress
            && let Some(status) = p.status
        {
            let date = if status == Status::Done {
                p.resolved.or(p.updated)
            } else {
                p.updated
            }
            .or(plan.status_date)
            .or(plan.start);
            let Some(date) = date else { continue };
            let total = plan.tasks[i].work.map(|w| w.days);
            let remaining = p.remaining.map(|s| s / 3600.0 / HOURS_PER_DAY);
            let done = match (status, total, remaining, p.spent) {
                (Status::Done, ..) => Some(1.0),
                (_, Some(t), Some(r), _) if t > 0.0 => Some((1.0 - r / t).clamp(0.0, 1.0)),
                _ => None,
            };
            plan.tasks[i].progress = Some(Progress {
                date,
                status,
                done,
                remaining_days: if status == Status::Done {
                    None
                } else {
                    remaining
                },
                started: None,
                finished: if status == Status::Done {
                    p.resolved
                } else {
                    None
                },
                cost: None,
            });
        }
        let _ = (p.epic_type, p.line);
    }
    Ok(())
}

/// `succ` after `pred` (finish-to-start), once.
fn push_dep(plan: &mut Plan, succ: usize, pred: usize) {
    if plan.tasks[succ].deps.iter().any(|d| d.pred == pred) {
        return; // Jira lists each link on both issues.
    }
    plan.tasks[succ].deps.push(Dep {
        pred,
        kind: DepKind::FinishToStart,
        lag_days: 0,
        elapsed: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_dates_parse_in_the_usual_formats() {
        let d = NaiveDate::from_ymd_opt(2020, 6, 25).unwrap();
        assert_eq!(parse_jira_date("25/Jun/20 12:44", None), Ok(Some(d)));
        assert_eq!(parse_jira_date("25/Jun/20 12:44 PM", None), Ok(Some(d)));
        assert_eq!(parse_jira_date("2020-06-25 12:44", None), Ok(Some(d)));
        assert_eq!(
            parse_jira_date("25.06.2020 12:44", Some("%d.%m.%Y %H:%M")),
            Ok(Some(d))
        );
        assert_eq!(parse_jira_date("25/Jun/20 12:44", Some("%Y")), Err(()));
        assert_eq!(parse_jira_date("", None), Ok(None));
    }
}
