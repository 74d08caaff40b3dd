//! Tracking: baselines (choosing, saving, variance) and earned value reports.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{Baseline, Program, TaskIdx, TaskKind};
use tiller_engine::evm::{EvmInput, EvmReport, Metrics};
use tiller_engine::{Network, Schedule};

use crate::output::money;

/// Problems with a tracking request (as opposed to problems in the plan).
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error("no baseline named `{name}`; {}", available(.known))]
    UnknownBaseline { name: String, known: Vec<String> },
    #[error(
        "baseline `{0}` already exists; use --force to replace it (the old one stays in your version control history)"
    )]
    BaselineExists(String),
    #[error("`{0}` is not a valid baseline name: use letters, digits, `_`, `-` and `.`")]
    BadName(String),
    #[error("the plan has no status date; give --as-of DATE or set `status_date` in `[program]`")]
    NoDate,
    #[error("cannot write `{path}`: {cause}")]
    Write { path: String, cause: std::io::Error },
    #[error("cannot update `{path}` to include the baseline: {cause}")]
    Include { path: String, cause: String },
}

fn available(known: &[String]) -> String {
    if known.is_empty() {
        "the plan has none (record one with `tiller baseline save NAME PLAN`)".to_string()
    } else {
        format!("available: {}", known.join(", "))
    }
}

/// The baseline to measure against: the one named, or else the most recently saved.
pub fn pick_baseline<'p>(
    program: &'p Program,
    name: Option<&str>,
) -> Result<Option<&'p Baseline>, TrackingError> {
    match name {
        Some(n) => program
            .baselines
            .iter()
            .find(|b| b.name == n)
            .map(Some)
            .ok_or_else(|| TrackingError::UnknownBaseline {
                name: n.to_string(),
                known: program.baselines.iter().map(|b| b.name.clone()).collect(),
            }),
        // Latest `saved` date wins; among equals (or undated), the last in the plan.
        None => Ok(program
            .baselines
            .iter()
            .enumerate()
            .max_by_key(|(i, b)| (b.saved, *i))
            .map(|(_, b)| b)),
    }
}

/// Earned value as of `as_of` (default: the status date) against a baseline.
pub fn evm(
    program: &Program,
    baseline: Option<&Baseline>,
    as_of: Option<NaiveDate>,
) -> Result<EvmReport, TrackingError> {
    let as_of = as_of.or(program.status_date).ok_or(TrackingError::NoDate)?;
    // The plan as written (without progress) stands in for a missing baseline. A plan
    // that checks always schedules, so the fallback to the program start is not hit.
    let plan_dates: Vec<(NaiveDate, NaiveDate)> =
        match Network::build_as_of(program, None).and_then(|n| n.schedule()) {
            Ok(s) => (0..program.tasks.len())
                .map(|i| {
                    let t = TaskIdx(i as u32);
                    (s.start_date(t), s.finish_date(t))
                })
                .collect(),
            Err(_) => vec![(program.start, program.start); program.tasks.len()],
        };
    let calendar = tiller_engine::calendars::Profiles::new(program).work_axis();
    Ok(tiller_engine::evm::evaluate(&EvmInput {
        program,
        baseline,
        plan_dates: &plan_dates,
        as_of,
        calendar: &calendar,
    }))
}

fn index(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"))
}

fn money_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), money)
}

/// The earned value report for a terminal.
pub fn evm_table(program: &Program, r: &EvmReport) -> String {
    let m = &r.program;
    let mut out = String::new();
    out.push_str(&format!(
        "{} — earned value as of {} against {}\n(amounts in {}; n/a = undefined, a division by zero)\n\n",
        program.name,
        r.as_of,
        r.baseline
            .as_ref()
            .map_or_else(|| "the plan as written (no baseline recorded)".to_string(), |b| format!("baseline `{b}`")),
        r.currency
    ));
    let rows: [(&str, String, &str); 16] = [
        ("BAC", money(m.bac), "budget at completion"),
        ("PV", money(m.pv), "planned value"),
        ("EV", money(m.ev), "earned value"),
        ("AC", money(m.ac), "actual cost"),
        ("SV", money(m.sv), "schedule variance, EV − PV"),
        ("CV", money(m.cv), "cost variance, EV − AC"),
        ("SPI", index(m.spi), "EV / PV"),
        ("CPI", index(m.cpi), "EV / AC"),
        ("ETC", money(m.etc), "bottom-up estimate to complete"),
        ("EAC", money(m.eac_bottom_up), "AC + bottom-up ETC"),
        ("EAC", money(m.eac_atypical), "AC + (BAC − EV)"),
        ("EAC", money_opt(m.eac_cpi), "BAC / CPI"),
        (
            "EAC",
            money_opt(m.eac_composite),
            "AC + (BAC − EV) / (CPI × SPI)",
        ),
        ("VAC", money_opt(m.vac), "BAC − BAC / CPI"),
        ("TCPI", index(m.tcpi_bac), "to finish within BAC"),
        (
            "TCPI",
            index(m.tcpi_eac),
            "to finish within EAC (BAC / CPI)",
        ),
    ];
    for (name, value, what) in rows {
        out.push_str(&format!("{name:<6} {value:>16}  {what}\n"));
    }
    if let Some(budget) = r.budget {
        out.push_str(&format!(
            "Budget {:>16}  authorised; BAC is {} of it{}\n",
            money(budget),
            index(Some(m.bac / budget)).replace("n/a", "-"),
            r.reserve
                .map(|x| format!(", management reserve {} on top", money(x)))
                .unwrap_or_default()
        ));
    } else if let Some(reserve) = r.reserve {
        out.push_str(&format!(
            "Reserve {:>15}  management reserve\n",
            money(reserve)
        ));
    }
    if let Some(es) = &m.schedule {
        out.push_str(&format!(
            "\nEarned schedule (working days from the baseline start)\n\
             ES     {:>16.1}  {}\nAT     {:>16.1}  time elapsed\nPD     {:>16.1}  planned duration\n\
             SV(t)  {:>16.1}  ES − AT\nSPI(t) {:>16}  ES / AT\nTSPI   {:>16}  efficiency needed to finish on time\n\
             IEAC(t){:>16}  forecast duration{}\n",
            es.es,
            es.es_date.map(|d| format!("work planned up to {d} is done")).unwrap_or_default(),
            es.at,
            es.pd,
            es.sv_t,
            index(es.spi_t),
            index(es.tspi),
            es.ieac_t.map_or_else(|| "n/a".to_string(), |d| format!("{d:.1}")),
            es.ieac_t_date.map(|d| format!(", finishing {d}")).unwrap_or_default(),
        ));
    }
    if !r.workstreams.is_empty() {
        out.push_str(&format!(
            "\n{:<28} {:>12} {:>12} {:>12} {:>12} {:>6} {:>6}\n",
            "WORKSTREAM", "BAC", "PV", "EV", "AC", "SPI", "CPI"
        ));
        for w in &r.workstreams {
            let m: &Metrics = &w.metrics;
            out.push_str(&format!(
                "{:<28} {:>12} {:>12} {:>12} {:>12} {:>6} {:>6}\n",
                w.task,
                money(m.bac),
                money(m.pv),
                money(m.ev),
                money(m.ac),
                index(m.spi),
                index(m.cpi)
            ));
        }
    }
    let unbaselined: Vec<&str> = r
        .tasks
        .iter()
        .filter(|t| !t.baselined)
        .map(|t| t.task.as_str())
        .collect();
    if !unbaselined.is_empty() {
        out.push_str(&format!(
            "\nNot in the baseline (no budget, earns no value): {}\n",
            unbaselined.join(", ")
        ));
    }
    if !r.removed_from_plan.is_empty() {
        out.push_str(&format!(
            "In the baseline but no longer in the plan (budget kept, nothing earned): {}\n",
            r.removed_from_plan.join(", ")
        ));
    }
    out
}

/// Start and finish variance of one task or milestone against a baseline, in working
/// days of the program calendar (positive = later than the baseline).
#[derive(Debug, Clone, Serialize)]
pub struct Variance {
    pub id: String,
    pub baseline_start: Option<NaiveDate>,
    pub baseline_finish: Option<NaiveDate>,
    pub start_variance: Option<i64>,
    pub finish_variance: Option<i64>,
}

/// Variance of every task and milestone; tasks missing from the baseline have none.
pub fn variance(program: &Program, schedule: &Schedule, baseline: &Baseline) -> Vec<Variance> {
    let cal = tiller_engine::calendars::Profiles::new(program).work_axis();
    let day = |d: NaiveDate| (d - program.start).num_days();
    // Working days from `a` to `b`, counting whole days: the same day is 0.
    let wd = |a: NaiveDate, b: NaiveDate| cal.cum(day(b)) - cal.cum(day(a));
    let mut by_task: Vec<Option<&tiller_core::BaselineTask>> = vec![None; program.tasks.len()];
    for bt in &baseline.tasks {
        if let Some(t) = bt.task {
            by_task[t.index()] = Some(bt);
        }
    }
    program
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != TaskKind::Summary)
        .map(|(i, t)| {
            let idx = TaskIdx(i as u32);
            let (start, finish) = (schedule.start_date(idx), schedule.finish_date(idx));
            let b = by_task[i];
            Variance {
                id: t.id.clone(),
                baseline_start: b.map(|b| b.start),
                baseline_finish: b.map(|b| b.finish),
                start_variance: b.map(|b| wd(b.start, start)),
                finish_variance: b.map(|b| wd(b.finish, finish)),
            }
        })
        .collect()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Records the current schedule as baseline `name`: writes `baselines/NAME.toml` next to
/// the root plan and adds it to the root's `include` list (comments and layout kept).
pub fn save_baseline(
    root: &Path,
    program: &Program,
    schedule: &Schedule,
    name: &str,
    saved: NaiveDate,
    force: bool,
) -> Result<PathBuf, TrackingError> {
    if !valid_name(name) {
        return Err(TrackingError::BadName(name.to_string()));
    }
    if !force && program.baselines.iter().any(|b| b.name == name) {
        return Err(TrackingError::BaselineExists(name.to_string()));
    }
    let baseline = tiller_engine::baseline::capture(program, schedule, name, saved);
    let dir = root.parent().unwrap_or(Path::new("")).join("baselines");
    let file = dir.join(format!("{name}.toml"));
    if !force && file.exists() {
        return Err(TrackingError::BaselineExists(name.to_string()));
    }
    let write_err = |path: &Path, cause| TrackingError::Write {
        path: path.display().to_string(),
        cause,
    };
    std::fs::create_dir_all(&dir).map_err(|e| write_err(&dir, e))?;
    std::fs::write(&file, tiller_plan::write::baseline_file(&baseline))
        .map_err(|e| write_err(&file, e))?;

    let include = format!("baselines/{name}.toml");
    let text = std::fs::read_to_string(root).map_err(|e| write_err(root, e))?;
    let updated = add_include(&text, &include).map_err(|cause| TrackingError::Include {
        path: root.display().to_string(),
        cause,
    })?;
    if let Some(updated) = updated {
        std::fs::write(root, updated).map_err(|e| write_err(root, e))?;
    }
    Ok(file)
}

/// Adds `path` to the top-level `include` array of a plan, keeping everything else as
/// written; `None` if it is already there.
pub fn add_include(text: &str, path: &str) -> Result<Option<String>, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let root = doc.as_table_mut();
    match root.get_mut("include") {
        Some(item) => {
            if let Some(s) = item.as_str() {
                if s == path {
                    return Ok(None);
                }
                let mut array = toml_edit::Array::new();
                array.push(s.to_string());
                array.push(path);
                *item = toml_edit::value(array);
            } else if let Some(array) = item.as_array_mut() {
                if array.iter().any(|v| v.as_str() == Some(path)) {
                    return Ok(None);
                }
                // One entry per line when the list is written that way.
                let prefix = array
                    .iter()
                    .last()
                    .and_then(|v| v.decor().prefix())
                    .and_then(|p| p.as_str())
                    .map(str::to_string);
                let mut value = toml_edit::Value::from(path);
                if let Some(prefix) = prefix {
                    value.decor_mut().set_prefix(prefix);
                }
                array.push_formatted(value);
            } else {
                return Err("`include` is neither a string nor an array".to_string());
            }
        }
        None => {
            let mut array = toml_edit::Array::new();
            array.push(path);
            root.insert("include", toml_edit::value(array));
            // Keep it above the tables, where a reader expects it.
            if let Some((mut key, _)) = root.get_key_value_mut("include") {
                key.leaf_decor_mut().set_prefix("");
            }
        }
    }
    Ok(Some(doc.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_added_without_disturbing_the_file() {
        let plan =
            "# My plan\ninclude = [\n  \"teams/a.toml\", # team A\n]\n\n[program]\nname = \"x\"\n";
        let out = add_include(plan, "baselines/b1.toml")
            .expect("valid")
            .expect("changed");
        assert!(out.starts_with("# My plan\ninclude = ["));
        assert!(out.contains("# team A"));
        assert!(out.contains("\"baselines/b1.toml\""));
        assert_eq!(add_include(&out, "baselines/b1.toml").expect("valid"), None);

        let bare = "[program]\nname = \"x\"\n";
        let out = add_include(bare, "baselines/b1.toml")
            .expect("valid")
            .expect("changed");
        let program_at = out.find("[program]").expect("kept");
        let include_at = out.find("include").expect("added");
        assert!(include_at < program_at, "{out}");
        let reparsed: toml_edit::DocumentMut = out.parse().expect("still TOML");
        assert_eq!(reparsed["include"][0].as_str(), Some("baselines/b1.toml"));
    }
}
