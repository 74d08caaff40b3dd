//! Readers for the PSPLIB single-mode RCPSP format (Kolisch & Sprecher
//! 1996) and its reference-makespan files. Pure functions over text: the
//! caller reads the files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::instance::{Activity, Instance, InstanceError, Precedence, Resource};

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PsplibError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("missing section or field: {0}")]
    Missing(&'static str),
    #[error("invalid instance: {0}")]
    Instance(#[from] InstanceError),
}

fn syntax(line: usize, message: impl Into<String>) -> PsplibError {
    PsplibError::Syntax {
        line,
        message: message.into(),
    }
}

fn num<T: std::str::FromStr>(tok: &str, line: usize, what: &str) -> Result<T, PsplibError> {
    tok.parse()
        .map_err(|_| syntax(line, format!("expected {what}, found {tok:?}")))
}

/// Parses a single-mode `.sm` file into an instance. Job `k` of the file
/// becomes activity `k - 1`; the dummy source and sink are kept (as
/// zero-duration activities) so that indices match the file.
pub fn parse_sm(text: &str) -> Result<Instance, PsplibError> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut jobs: Option<usize> = None;
    let mut renewable: Option<usize> = None;
    let mut idx = 0;

    // Header fields.
    while idx < lines.len() {
        let (ln, l) = lines[idx];
        let t = l.trim_start();
        if t.starts_with("jobs (incl. supersource/sink") {
            let v = l.rsplit(':').next().unwrap_or("").trim();
            jobs = Some(num(v, ln, "number of jobs")?);
        } else if t.starts_with("- renewable") {
            let v = l.split(':').nth(1).unwrap_or("");
            let tok = v.split_whitespace().next().unwrap_or("");
            renewable = Some(num(tok, ln, "number of renewable resources")?);
        } else if t.starts_with("PRECEDENCE RELATIONS") {
            break;
        }
        idx += 1;
    }
    let n = jobs.ok_or(PsplibError::Missing("jobs (incl. supersource/sink)"))?;
    let nr = renewable.ok_or(PsplibError::Missing("renewable resources"))?;
    if idx >= lines.len() {
        return Err(PsplibError::Missing("PRECEDENCE RELATIONS"));
    }
    // Guard against absurd counts before allocating.
    if n > 1_000_000 || nr > 10_000 {
        return Err(syntax(lines[idx].0, "job or resource count too large"));
    }
    idx += 2; // section title and column header

    let mut precedences = Vec::new();
    let mut seen = vec![false; n];
    while idx < lines.len() && !lines[idx].1.trim_start().starts_with('*') {
        let (ln, l) = lines[idx];
        idx += 1;
        let toks: Vec<&str> = l.split_whitespace().collect();
        if toks.is_empty() {
            continue;
        }
        if toks.len() < 3 {
            return Err(syntax(
                ln,
                "expected: job, modes, successor count, successors",
            ));
        }
        let job: usize = num(toks[0], ln, "job number")?;
        let modes: usize = num(toks[1], ln, "mode count")?;
        let count: usize = num(toks[2], ln, "successor count")?;
        if job == 0 || job > n {
            return Err(syntax(ln, format!("job {job} outside 1..={n}")));
        }
        if modes != 1 {
            return Err(syntax(ln, "only single-mode instances are supported"));
        }
        if toks.len() != 3 + count {
            return Err(syntax(
                ln,
                format!("expected {count} successors, found {}", toks.len() - 3),
            ));
        }
        seen[job - 1] = true;
        for tok in &toks[3..] {
            let s: usize = num(tok, ln, "successor job number")?;
            if s == 0 || s > n {
                return Err(syntax(ln, format!("successor {s} outside 1..={n}")));
            }
            precedences.push(Precedence::fs(job - 1, s - 1));
        }
    }
    if let Some(j) = seen.iter().position(|&s| !s) {
        return Err(syntax(
            lines.get(idx).map_or(lines.len(), |l| l.0),
            format!("no precedence line for job {}", j + 1),
        ));
    }

    // Durations and demands.
    while idx < lines.len() && !lines[idx].1.trim_start().starts_with("REQUESTS/DURATIONS") {
        idx += 1;
    }
    if idx >= lines.len() {
        return Err(PsplibError::Missing("REQUESTS/DURATIONS"));
    }
    idx += 1;
    let mut activities: Vec<Option<Activity>> = vec![None; n];
    while idx < lines.len() && !lines[idx].1.trim_start().starts_with('*') {
        let (ln, l) = lines[idx];
        idx += 1;
        let toks: Vec<&str> = l.split_whitespace().collect();
        // Skip the column header and the dashed rule.
        if toks.is_empty() || toks[0].starts_with('-') || toks[0].parse::<usize>().is_err() {
            continue;
        }
        if toks.len() != 3 + nr {
            return Err(syntax(
                ln,
                format!(
                    "expected job, mode, duration and {nr} demands, found {} fields",
                    toks.len()
                ),
            ));
        }
        let job: usize = num(toks[0], ln, "job number")?;
        if job == 0 || job > n {
            return Err(syntax(ln, format!("job {job} outside 1..={n}")));
        }
        let duration: u32 = num(toks[2], ln, "duration")?;
        let mut a = Activity::new(duration);
        for (r, tok) in toks[3..].iter().enumerate() {
            let q: u32 = num(tok, ln, "resource demand")?;
            if q > 0 {
                a = a.with_demand(r, q);
            }
        }
        if activities[job - 1].replace(a).is_some() {
            return Err(syntax(ln, format!("job {job} listed twice")));
        }
    }
    let activities: Vec<Activity> = activities
        .into_iter()
        .enumerate()
        .map(|(j, a)| a.ok_or_else(|| syntax(idx, format!("no duration line for job {}", j + 1))))
        .collect::<Result<_, _>>()?;

    // Capacities.
    while idx < lines.len()
        && !lines[idx]
            .1
            .trim_start()
            .starts_with("RESOURCEAVAILABILITIES")
    {
        idx += 1;
    }
    if idx >= lines.len() {
        return Err(PsplibError::Missing("RESOURCEAVAILABILITIES"));
    }
    idx += 2; // title and "R 1 R 2 ..." header
    let (ln, l) = *lines
        .get(idx)
        .ok_or(PsplibError::Missing("resource availability values"))?;
    let toks: Vec<&str> = l.split_whitespace().collect();
    if toks.len() < nr {
        return Err(syntax(
            ln,
            format!("expected {nr} capacities, found {}", toks.len()),
        ));
    }
    let resources = toks[..nr]
        .iter()
        .map(|t| num::<u32>(t, ln, "capacity").map(Resource::constant))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Instance::new(activities, resources, precedences)?)
}

/// Parses a PSPLIB solution list (`j30opt.sm`, `j60hrs.sm`, ...): every line
/// starting with three integers `parameter instance makespan` is an entry.
/// Keys are instance names `<prefix><parameter>_<instance>`, e.g. `j301_1`.
pub fn parse_solutions(text: &str, prefix: &str) -> Result<BTreeMap<String, u32>, PsplibError> {
    let mut out = BTreeMap::new();
    for (i, l) in text.lines().enumerate() {
        let toks: Vec<&str> = l.split_whitespace().take(3).collect();
        if toks.len() < 3 {
            continue;
        }
        let (Ok(par), Ok(inst)) = (toks[0].parse::<u32>(), toks[1].parse::<u32>()) else {
            continue;
        };
        let mk: u32 = num(toks[2], i + 1, "makespan")?;
        out.insert(format!("{prefix}{par}_{inst}"), mk);
    }
    if out.is_empty() {
        return Err(PsplibError::Missing("solution entries"));
    }
    Ok(out)
}

/// Reference values for one benchmark instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Critical-path lower bound.
    pub cpm_lb: u32,
    /// Best known makespan (upper bound), if known.
    pub best_known: Option<u32>,
    /// Whether `best_known` is a proven optimum.
    pub optimal: bool,
}

/// Parses `bounds_<set>.csv` (`instance,par,inst,cpm_lb,best_ub_hrs,...`).
/// `optimal` is set when the row's `closed_lbfile` column is 1.
pub fn parse_bounds_csv(text: &str) -> Result<BTreeMap<String, Reference>, PsplibError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or(PsplibError::Missing("CSV header"))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &'static str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or(PsplibError::Missing(name))
    };
    let (ci, cl, cu) = (col("instance")?, col("cpm_lb")?, col("best_ub_hrs")?);
    let cc = cols.iter().position(|c| *c == "closed_lbfile");
    let mut out = BTreeMap::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        let get = |c: usize| {
            f.get(c)
                .copied()
                .ok_or_else(|| syntax(i + 1, format!("missing column {}", c + 1)))
        };
        let name = get(ci)?.to_string();
        let cpm_lb = num(get(cl)?, i + 1, "cpm_lb")?;
        let ub = get(cu)?;
        let best_known = if ub.is_empty() {
            None
        } else {
            Some(num(ub, i + 1, "best_ub_hrs")?)
        };
        let optimal = cc.and_then(|c| f.get(c)).is_some_and(|v| *v == "1");
        out.insert(
            name,
            Reference {
                cpm_lb,
                best_known,
                optimal,
            },
        );
    }
    Ok(out)
}

/// Instance name from a file name: `j301_1.sm` -> `j301_1`.
pub fn instance_name(file_name: &str) -> &str {
    file_name.strip_suffix(".sm").unwrap_or(file_name)
}

/// Sort key putting instance names in PSPLIB order: `j3012_3` sorts as
/// (`j`, [3012, 3]), so files go by parameter then instance number.
pub fn natural_key(name: &str) -> (String, Vec<u64>) {
    let prefix: String = name.chars().take_while(|c| c.is_alphabetic()).collect();
    let nums = name[prefix.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok())
        .collect();
    (prefix, nums)
}

/// Reference values of a set from the texts of its solution files, any of
/// which may be missing: `bounds_<set>.csv` (critical-path bound and best
/// known makespan per instance), the optima list (`j30opt.sm`, which
/// overrides the best known values and marks them optimal) and the
/// best-known upper bounds list (`<set>hrs.sm`, used where the CSV has no
/// value). `set` is the instance-name prefix (`j30`, `j60`, `j120`).
pub fn references(
    set: &str,
    bounds_csv: Option<&str>,
    optima: Option<&str>,
    upper_bounds: Option<&str>,
) -> Result<BTreeMap<String, Reference>, PsplibError> {
    let mut refs = match bounds_csv {
        Some(text) => parse_bounds_csv(text)?,
        None => BTreeMap::new(),
    };
    if let Some(text) = upper_bounds {
        for (name, mk) in parse_solutions(text, set)? {
            let e = refs.entry(name).or_insert(Reference {
                cpm_lb: 0,
                best_known: None,
                optimal: false,
            });
            if e.best_known.is_none() {
                e.best_known = Some(mk);
            }
        }
    }
    if let Some(text) = optima {
        for (name, mk) in parse_solutions(text, set)? {
            let e = refs.entry(name).or_insert(Reference {
                cpm_lb: 0,
                best_known: None,
                optimal: true,
            });
            e.best_known = Some(mk);
            e.optimal = true;
        }
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "\
jobs (incl. supersource/sink ):  4
RESOURCES
  - renewable                 :  1   R
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     3       2
  3      1     2       1
  4      1     0       0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1
   2
************************************************************************
";

    #[test]
    fn parses_tiny() {
        let inst = parse_sm(TINY).expect("valid");
        assert_eq!(inst.num_activities(), 4);
        assert_eq!(inst.num_resources(), 1);
        assert_eq!(inst.precedences().len(), 4);
        assert_eq!(inst.activities()[1].demands, vec![(0, 2)]);
        assert_eq!(inst.critical_path_bound(), 3);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let bad = TINY.replace(
            "   2        1          1           4",
            "   2        1          2           4",
        );
        assert!(matches!(
            parse_sm(&bad),
            Err(PsplibError::Syntax { line: 8, .. })
        ));
        let bad = TINY.replace("  3      1     2       1", "  3      1     x       1");
        assert!(matches!(
            parse_sm(&bad),
            Err(PsplibError::Syntax { line: 17, .. })
        ));
        let bad = TINY.replace("   2\n****", "   1\n****");
        assert!(matches!(parse_sm(&bad), Err(PsplibError::Instance(_))));
        assert!(parse_sm("").is_err());
        // Truncations at every line must fail cleanly, never panic.
        let lines: Vec<&str> = TINY.lines().collect();
        for k in 0..lines.len() - 2 {
            let _ = parse_sm(&lines[..k].join("\n"));
        }
    }

    #[test]
    fn parses_references() {
        let sols = parse_solutions(
            "Par Inst Makespan\n---\n1 1 43 0.3\n1\t2\t47\tdate\n",
            "j30",
        )
        .expect("valid");
        assert_eq!(sols.get("j301_1"), Some(&43));
        assert_eq!(sols.get("j301_2"), Some(&47));
        let csv = "instance,par,inst,cpm_lb,best_ub_hrs,lb_lbfile,ub_lbfile,closed_lbfile\n\
                   j601_1,1,1,77,77,77,77,1\nj601_2,1,2,65,,,,\n";
        let b = parse_bounds_csv(csv).expect("valid");
        assert_eq!(b["j601_1"].best_known, Some(77));
        assert!(b["j601_1"].optimal);
        assert_eq!(b["j601_2"].best_known, None);
        assert!(matches!(
            parse_bounds_csv("instance,cpm_lb,best_ub_hrs\nx,notanumber,3\n"),
            Err(PsplibError::Syntax { line: 2, .. })
        ));
    }
}
