//! Comparing two versions of a plan: from two paths, or from a git revision and the
//! working copy.

use std::path::Path;
use std::process::Command;

use tiller_engine::diff::{DateChange, PlanDiff, Side, compare};
use tiller_plan::Loaded;

use crate::analysis::{Analysis, Rejected, analyze};
use crate::output::money;

/// Why a version of the plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Read(#[from] crate::workspace::ReadError),
    #[error("cannot read `{path}` at revision `{rev}`: {message}")]
    Git {
        path: String,
        rev: String,
        message: String,
    },
}

/// Reads a file as it was at a git revision, relative to the current directory.
fn git_show(rev: &str, path: &str) -> Result<Vec<u8>, String> {
    let spec = if Path::new(path).is_absolute() {
        let top = Command::new("git")
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let top = String::from_utf8_lossy(&top.stdout).trim().to_string();
        let rel = Path::new(path)
            .strip_prefix(&top)
            .map_err(|_| "the file is outside the git repository".to_string())?;
        format!("{rev}:{}", rel.display())
    } else {
        format!("{rev}:./{path}")
    };
    let out = Command::new("git")
        .args(["show", &spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Reads a plan (root and includes) as it was at a git revision.
pub fn load_at_revision(path: &str, rev: &str) -> Result<Loaded, DiffError> {
    let root = git_show(rev, path).map_err(|message| DiffError::Git {
        path: path.to_string(),
        rev: rev.to_string(),
        message,
    })?;
    let mut fetch = |p: &str| git_show(rev, p);
    Ok(tiller_plan::load(path, &root, &mut fetch))
}

/// Both sides analysed, or the side that failed.
pub fn analyze_pair(old: Loaded, new: Loaded) -> Result<(Analysis, Analysis), Rejected> {
    let old = analyze(old)?;
    let new = analyze(new)?;
    Ok((old, new))
}

pub fn diff(old: &Analysis, new: &Analysis) -> PlanDiff {
    compare(
        &Side {
            program: &old.program,
            schedule: &old.schedule,
        },
        &Side {
            program: &new.program,
            schedule: &new.schedule,
        },
    )
}

/// Fills the P80 dates of the finish and of every listed milestone from forecasts of
/// both versions (same seed and iterations, so the difference is the plan's).
pub fn add_forecasts(
    d: &mut PlanDiff,
    old: &Analysis,
    new: &Analysis,
    iterations: usize,
    seed: u64,
) {
    let options = tiller_engine::forecast::ForecastOptions {
        iterations,
        seed,
        latin_hypercube: false,
        mitigated: false,
        tornado: false,
        level: None,
    };
    let (Ok(fo), Ok(fnew)) = (
        crate::forecasting::run(&old.program, &options, &|_| {}),
        crate::forecasting::run(&new.program, &options, &|_| {}),
    ) else {
        return;
    };
    let p80 = |f: &tiller_engine::forecast::Forecast, id: &str| {
        f.milestones.iter().find(|m| m.id == id).map(|m| m.p80)
    };
    d.finish.p80_old = p80(&fo, "program");
    d.finish.p80_new = p80(&fnew, "program");
    for m in &mut d.milestones {
        m.p80_old = p80(&fo, &m.id);
        m.p80_new = p80(&fnew, &m.id);
    }
}

fn days(n: i64) -> String {
    match n {
        0 => "no change".to_string(),
        1 | -1 => format!("{n:+} working day"),
        _ => format!("{n:+} working days"),
    }
}

fn date_line(d: &DateChange) -> String {
    let mut s = format!("{:<28} {} → {}  {}", d.id, d.old, d.new, days(d.slip));
    if let Some(p) = d.promised {
        s.push_str(&format!(
            "  (promised {p}{})",
            if d.new > p { ", missed" } else { "" }
        ));
    }
    if let (Some(a), Some(b)) = (d.p80_old, d.p80_new) {
        s.push_str(&format!("; P80 {a} → {b}"));
    }
    s
}

/// The comparison for a person: what moved, what was added or cut, what it costs.
pub fn render(d: &PlanDiff, old_label: &str, new_label: &str) -> String {
    let mut out = format!("Changes from {old_label} to {new_label}\n\n");
    if d.is_empty() {
        out.push_str("No changes to scope, estimates, links, dates, budget or risks.\n");
        return out;
    }
    out.push_str(&format!(
        "Program finish: {}\n",
        date_line(&d.finish).trim_start_matches("program").trim()
    ));
    if !d.milestones.is_empty() {
        out.push_str("\nMilestones\n");
        for m in &d.milestones {
            out.push_str(&format!("  {}\n", date_line(m)));
        }
    }
    for (label, list) in [
        ("added", &d.milestones_added),
        ("removed", &d.milestones_removed),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("  milestones {label}: {}\n", list.join(", ")));
        }
    }
    if !d.tasks_added.is_empty() || !d.tasks_removed.is_empty() {
        out.push_str(&format!(
            "\nScope: {} task{} added, {} removed\n",
            d.tasks_added.len(),
            if d.tasks_added.len() == 1 { "" } else { "s" },
            d.tasks_removed.len()
        ));
        for t in &d.tasks_added {
            out.push_str(&format!("  + {:<26} {}\n", t.id, t.name));
        }
        for t in &d.tasks_removed {
            out.push_str(&format!("  - {:<26} {}\n", t.id, t.name));
        }
    }
    if !d.reestimated.is_empty() {
        out.push_str("\nRe-estimated\n");
        let est = |e: [f64; 3]| {
            if e[0] == e[1] && e[1] == e[2] {
                format!("{}d", e[1])
            } else {
                format!("{}/{}/{}d", e[0], e[1], e[2])
            }
        };
        for r in &d.reestimated {
            out.push_str(&format!(
                "  {:<28} {} {} → {}\n",
                r.id,
                r.work,
                est(r.old),
                est(r.new)
            ));
        }
    }
    if !d.links_added.is_empty() || !d.links_removed.is_empty() || !d.links_changed.is_empty() {
        out.push_str(&format!(
            "\nDependencies: {} added, {} removed, {} changed\n",
            d.links_added.len(),
            d.links_removed.len(),
            d.links_changed.len()
        ));
        for l in &d.links_added {
            out.push_str(&format!("  + {} after {} {}\n", l.task, l.after, l.link));
        }
        for l in &d.links_removed {
            out.push_str(&format!("  - {} after {} {}\n", l.task, l.after, l.link));
        }
        for l in &d.links_changed {
            out.push_str(&format!(
                "  ~ {} after {}: {} → {}\n",
                l.task, l.after, l.old, l.new
            ));
        }
    }
    if d.critical_path_old != d.critical_path_new
        || !d.became_critical.is_empty()
        || !d.no_longer_critical.is_empty()
    {
        out.push_str("\nCritical path\n");
        if d.critical_path_old != d.critical_path_new {
            out.push_str(&format!("  was: {}\n", d.critical_path_old.join(" → ")));
            out.push_str(&format!("  now: {}\n", d.critical_path_new.join(" → ")));
        }
        if !d.became_critical.is_empty() {
            out.push_str(&format!(
                "  became critical: {}\n",
                d.became_critical.join(", ")
            ));
        }
        if !d.no_longer_critical.is_empty() {
            out.push_str(&format!(
                "  no longer critical: {}\n",
                d.no_longer_critical.join(", ")
            ));
        }
    }
    let b = &d.budget;
    if b.planned_cost_old != b.planned_cost_new || b.budget_old != b.budget_new {
        out.push_str(&format!(
            "\nBudget: planned cost {} → {} ({}{})",
            money(b.planned_cost_old),
            money(b.planned_cost_new),
            if b.planned_cost_new >= b.planned_cost_old {
                "+"
            } else {
                "-"
            },
            money((b.planned_cost_new - b.planned_cost_old).abs())
        ));
        match (b.budget_old, b.budget_new) {
            (x, y) if x == y => {
                if let Some(v) = y {
                    out.push_str(&format!("; budget {} unchanged", money(v)));
                }
            }
            (x, y) => out.push_str(&format!(
                "; budget {} → {}",
                x.map_or_else(|| "none".to_string(), money),
                y.map_or_else(|| "none".to_string(), money)
            )),
        }
        out.push('\n');
        for w in &b.workstreams {
            out.push_str(&format!(
                "  {:<28} {} → {}\n",
                w.id,
                money(w.old),
                money(w.new)
            ));
        }
    }
    if !d.risks_opened.is_empty() || !d.risks_closed.is_empty() {
        out.push_str("\nRisks\n");
        if !d.risks_opened.is_empty() {
            out.push_str(&format!("  opened: {}\n", d.risks_opened.join(", ")));
        }
        if !d.risks_closed.is_empty() {
            out.push_str(&format!("  closed: {}\n", d.risks_closed.join(", ")));
        }
    }
    out
}
