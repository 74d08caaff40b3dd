//! Estimate calibration: per team, a multiplicative bias on estimates and a factor on
//! their spread, measured by the post-program evaluation (`tiller retro`) and applied
//! to a later plan before it is forecast (`tiller forecast --calibration FILE`).
//!
//! The file is TOML:
//!
//! ```toml
//! # Estimate calibration from `tiller retro` ...
//! [calibration]
//! source = "Checkout v2"          # the program it was measured on
//! as_of = 2027-02-15              # its status date
//! tasks = 21                      # finished tasks measured
//!
//! [default]                       # teams not listed below, and unassigned work
//! bias = 1.12
//! spread = 1.4
//! tasks = 21
//!
//! [team.payments]                 # by team id
//! bias = 1.25                     # estimates x 1.25
//! spread = 1.8                    # optimistic and pessimistic 1.8 x as far from likely
//! tasks = 6
//! ```
//!
//! [`apply`] multiplies every three-point estimate of a team's effort and duration
//! tasks by `bias` (so the forecast's mean moves by the same factor) and moves the
//! optimistic and pessimistic values `spread` times as far from the likely one (the
//! optimistic value never below zero). Single-value estimates keep no spread; remaining
//! work reported in progress updates is an estimate too, and is multiplied by `bias`.
//! Backlogs (`items`) are forecast from throughput, not estimates, and are left alone.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{Estimate, Program, Work};

/// One team's factors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Factors {
    /// Estimates are multiplied by this (actual ÷ forecast mean, geometric average).
    pub bias: f64,
    /// Ranges are widened (above 1) or narrowed (below 1) by this.
    pub spread: f64,
    /// Finished tasks the factors are measured on.
    pub tasks: usize,
}

impl Factors {
    pub const NEUTRAL: Factors = Factors {
        bias: 1.0,
        spread: 1.0,
        tasks: 0,
    };
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub source: Option<String>,
    pub as_of: Option<NaiveDate>,
    pub tasks: usize,
    /// For teams without their own entry and for unassigned work.
    pub default: Option<Factors>,
    /// By team id, in file order.
    pub teams: Vec<(String, Factors)>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalibrationError {
    #[error("not valid TOML: {0}")]
    Toml(String),
    #[error("`{key}` in `[{table}]` {problem}")]
    Value {
        table: String,
        key: &'static str,
        problem: String,
    },
    #[error("unknown key `{key}` in `[{table}]` (expected bias, spread, tasks)")]
    UnknownKey { table: String, key: String },
    #[error("unknown table `[{0}]` (expected [calibration], [default] and [team.ID])")]
    UnknownTable(String),
}

/// Bias and spread are kept within these bounds, however few or odd the measurements.
pub const BIAS_RANGE: (f64, f64) = (0.2, 5.0);
pub const SPREAD_RANGE: (f64, f64) = (0.5, 4.0);

fn factors(table: &str, t: &toml_edit::Table) -> Result<Factors, CalibrationError> {
    let mut f = Factors::NEUTRAL;
    for (k, v) in t.iter() {
        let num = || -> Result<f64, CalibrationError> {
            v.as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .ok_or_else(|| CalibrationError::Value {
                    table: table.to_string(),
                    key: match k {
                        "bias" => "bias",
                        "spread" => "spread",
                        _ => "tasks",
                    },
                    problem: "must be a number".to_string(),
                })
        };
        match k {
            "bias" => {
                let x = num()?;
                if !(BIAS_RANGE.0..=BIAS_RANGE.1).contains(&x) {
                    return Err(CalibrationError::Value {
                        table: table.to_string(),
                        key: "bias",
                        problem: format!(
                            "must be between {} and {}, found {x}",
                            BIAS_RANGE.0, BIAS_RANGE.1
                        ),
                    });
                }
                f.bias = x;
            }
            "spread" => {
                let x = num()?;
                if !(SPREAD_RANGE.0..=SPREAD_RANGE.1).contains(&x) {
                    return Err(CalibrationError::Value {
                        table: table.to_string(),
                        key: "spread",
                        problem: format!(
                            "must be between {} and {}, found {x}",
                            SPREAD_RANGE.0, SPREAD_RANGE.1
                        ),
                    });
                }
                f.spread = x;
            }
            "tasks" => f.tasks = num()?.max(0.0) as usize,
            other => {
                return Err(CalibrationError::UnknownKey {
                    table: table.to_string(),
                    key: other.to_string(),
                });
            }
        }
    }
    Ok(f)
}

/// Reads a calibration file.
pub fn parse(text: &str) -> Result<Calibration, CalibrationError> {
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| CalibrationError::Toml(e.to_string()))?;
    let mut cal = Calibration {
        source: None,
        as_of: None,
        tasks: 0,
        default: None,
        teams: Vec::new(),
    };
    for (k, item) in doc.iter() {
        match (k, item.as_table()) {
            ("calibration", Some(t)) => {
                cal.source = t.get("source").and_then(|v| v.as_str()).map(str::to_string);
                cal.as_of = t.get("as_of").and_then(|v| {
                    v.as_datetime()
                        .and_then(|d| d.date)
                        .and_then(|d| {
                            NaiveDate::from_ymd_opt(
                                i32::from(d.year),
                                u32::from(d.month),
                                u32::from(d.day),
                            )
                        })
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                });
                cal.tasks = t
                    .get("tasks")
                    .and_then(|v| v.as_integer())
                    .map_or(0, |n| n.max(0) as usize);
            }
            ("default", Some(t)) => cal.default = Some(factors("default", t)?),
            ("team", Some(t)) => {
                for (id, v) in t.iter() {
                    let table = format!("team.{id}");
                    let Some(tt) = v.as_table() else {
                        return Err(CalibrationError::UnknownTable(table));
                    };
                    cal.teams.push((id.to_string(), factors(&table, tt)?));
                }
            }
            (other, _) => return Err(CalibrationError::UnknownTable(other.to_string())),
        }
    }
    Ok(cal)
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Writes a calibration file (the format [`parse`] reads).
pub fn to_toml(c: &Calibration) -> String {
    let mut out = String::from(
        "# Estimate calibration measured by `tiller retro`: per team, a multiplicative bias on\n# estimates (actual ÷ forecast mean) and a factor on their spread. Apply it with\n# `tiller forecast --calibration FILE`; see docs/reports.md.\n\n[calibration]\n",
    );
    if let Some(s) = &c.source {
        out.push_str(&format!(
            "source = {}\n",
            toml_edit::Value::from(s.as_str())
        ));
    }
    if let Some(d) = c.as_of {
        out.push_str(&format!("as_of = {d}\n"));
    }
    out.push_str(&format!("tasks = {}\n", c.tasks));
    let write = |out: &mut String, header: String, f: &Factors| {
        out.push_str(&format!(
            "\n[{header}]\nbias = {}\nspread = {}\ntasks = {}\n",
            fmt(r3(f.bias)),
            fmt(r3(f.spread)),
            f.tasks
        ));
    };
    if let Some(d) = &c.default {
        write(&mut out, "default".to_string(), d);
    }
    for (id, f) in &c.teams {
        let key = if id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            id.clone()
        } else {
            toml_edit::Value::from(id.as_str()).to_string()
        };
        write(&mut out, format!("team.{key}"), f);
    }
    out
}

/// A float that TOML reads back as a float.
fn fmt(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// The calibrated estimate.
pub fn calibrate(e: &Estimate, f: &Factors) -> Estimate {
    let likely = e.likely * f.bias;
    let lo = (e.likely - e.optimistic) * f.bias * f.spread;
    let hi = (e.pessimistic - e.likely) * f.bias * f.spread;
    Estimate {
        optimistic: (likely - lo).max(0.0),
        likely,
        pessimistic: likely + hi,
    }
}

/// What [`apply`] changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// Tasks re-estimated, per factors used: (team id or `default`, tasks).
    pub by_team: Vec<(String, usize)>,
    /// Team ids in the file that the program does not have.
    pub unknown_teams: Vec<String>,
}

/// Applies the calibration to every effort and duration estimate of the program (and
/// to the remaining work in its progress updates), before it is forecast.
pub fn apply(program: &mut Program, cal: &Calibration) -> Applied {
    let factors_of =
        |team: Option<tiller_core::TeamIdx>, p: &Program| -> Option<(String, Factors)> {
            if let Some(t) = team {
                let id = &p.team(t).id;
                if let Some((_, f)) = cal.teams.iter().find(|(x, _)| x == id) {
                    return Some((id.clone(), *f));
                }
            }
            cal.default.map(|f| ("default".to_string(), f))
        };
    let mut counts: Vec<(String, usize)> = Vec::new();
    let chosen: Vec<Option<(String, Factors)>> = program
        .tasks
        .iter()
        .map(|t| factors_of(t.team, program))
        .collect();
    let mut per_task: Vec<Option<Factors>> = vec![None; program.tasks.len()];
    for ((task, choice), slot) in program.tasks.iter_mut().zip(chosen).zip(&mut per_task) {
        let Some((key, f)) = choice else { continue };
        let changed = match &mut task.work {
            Some(Work::Effort(e)) | Some(Work::Duration(e)) => {
                *e = calibrate(e, &f);
                true
            }
            _ => false,
        };
        if changed {
            *slot = Some(f);
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => counts.push((key, 1)),
            }
        }
    }
    for u in &mut program.progress {
        if let (Some(f), Some(r)) = (per_task[u.task.index()], u.remaining.as_mut()) {
            *r *= f.bias;
        }
    }
    let unknown_teams = cal
        .teams
        .iter()
        .filter(|(id, _)| !program.teams.iter().any(|t| &t.id == id))
        .map(|(id, _)| id.clone())
        .collect();
    Applied {
        by_team: counts,
        unknown_teams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_files_round_trip() {
        let c = Calibration {
            source: Some("Checkout \"v2\"".to_string()),
            as_of: NaiveDate::from_ymd_opt(2027, 2, 15),
            tasks: 9,
            default: Some(Factors {
                bias: 1.1234,
                spread: 1.0,
                tasks: 9,
            }),
            teams: vec![(
                "payments".to_string(),
                Factors {
                    bias: 1.25,
                    spread: 2.0,
                    tasks: 4,
                },
            )],
        };
        let text = to_toml(&c);
        let back = parse(&text).expect("parses");
        assert_eq!(back.source, c.source);
        assert_eq!(back.as_of, c.as_of);
        assert_eq!(back.default.map(|d| d.bias), Some(1.123));
        assert_eq!(back.teams[0].1.spread, 2.0);
    }

    #[test]
    fn bad_files_are_rejected_with_the_place() {
        assert!(matches!(
            parse("[team.x]\nbias = 9\n"),
            Err(CalibrationError::Value { key: "bias", .. })
        ));
        assert!(matches!(
            parse("[team.x]\nbais = 1\n"),
            Err(CalibrationError::UnknownKey { .. })
        ));
        assert!(matches!(
            parse("[teams]\n"),
            Err(CalibrationError::UnknownTable(_))
        ));
        assert!(matches!(parse("[team"), Err(CalibrationError::Toml(_))));
    }

    #[test]
    fn calibration_scales_the_likely_value_and_widens_the_range() {
        let e = Estimate {
            optimistic: 4.0,
            likely: 5.0,
            pessimistic: 8.0,
        };
        let c = calibrate(
            &e,
            &Factors {
                bias: 1.2,
                spread: 2.0,
                tasks: 1,
            },
        );
        assert!((c.likely - 6.0).abs() < 1e-9);
        assert!((c.optimistic - 3.6).abs() < 1e-9);
        assert!((c.pessimistic - 13.2).abs() < 1e-9);
        let narrow = calibrate(
            &e,
            &Factors {
                bias: 1.0,
                spread: 10.0,
                tasks: 1,
            },
        );
        assert_eq!(narrow.optimistic, 0.0);
    }
}
