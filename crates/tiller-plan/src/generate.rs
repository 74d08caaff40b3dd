//! Synthetic programs for benchmarks and tests: teams with workstreams, people with
//! part-time availability and vacations, three-point estimates, dependencies of all four
//! kinds (many across teams), milestones with promised dates and a risk register.
//!
//! The output is plan text, so a generated program exercises the reader too. The same
//! options and seed always produce the same bytes.

use std::fmt::Write;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

#[derive(Debug, Clone)]
pub struct Options {
    pub tasks: usize,
    pub seed: u64,
    pub people: usize,
    /// Average number of predecessors per task.
    pub links_per_task: f64,
    /// Risks in the register (default: one per 300 tasks, at least one).
    pub risks: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--tasks must be between 1 and 1,000,000 (found {0})")]
    Tasks(usize),
    #[error("--people must be between 1 and 100,000 (found {0})")]
    People(usize),
    #[error("--links must be between 0 and 20 (found {0})")]
    Links(f64),
    #[error("--risks must be at most 10,000 (found {0})")]
    Risks(usize),
}

const HOLIDAYS: &[&str] = &[
    "2027-01-01",
    "2027-01-18",
    "2027-05-31",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24..2027-12-31",
    "2028-01-17",
    "2028-05-29",
    "2028-07-04",
    "2028-09-04",
    "2028-11-23",
    "2028-12-25..2028-12-29",
];

/// Generates a program as plan text.
pub fn generate(options: &Options) -> Result<String, GenerateError> {
    if options.tasks == 0 || options.tasks > 1_000_000 {
        return Err(GenerateError::Tasks(options.tasks));
    }
    if options.people == 0 || options.people > 100_000 {
        return Err(GenerateError::People(options.people));
    }
    if !(0.0..=20.0).contains(&options.links_per_task) {
        return Err(GenerateError::Links(options.links_per_task));
    }
    if options.risks.is_some_and(|r| r > 10_000) {
        return Err(GenerateError::Risks(options.risks.unwrap_or(0)));
    }
    let mut rng = Pcg64Mcg::seed_from_u64(options.seed);
    let n_people = options.people;
    let n_teams = n_people.div_ceil(8).max(1);
    let mut out = String::with_capacity(options.tasks * 180 + 4096);

    let _ = writeln!(
        out,
        "# Synthetic program: {} tasks, {} people in {} teams (seed {}).",
        options.tasks, n_people, n_teams, options.seed
    );
    out.push_str(
        "[program]\nname = \"Synthetic program\"\nstart = 2027-01-04\ncurrency = \"USD\"\n\
         status_date = 2027-03-01\n\n[calendar.default]\nworkweek = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n\
         hours_per_day = 8\nholidays = [",
    );
    for (i, h) in HOLIDAYS.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{h}\"");
    }
    out.push_str("]\n\n");

    for t in 0..n_teams {
        let _ = writeln!(
            out,
            "[team.team{t:03}]\nname = \"Team {t}\"\nlead = \"p{:05}\"\n",
            t * 8
        );
    }
    let mut team_members: Vec<Vec<usize>> = vec![Vec::new(); n_teams];
    for p in 0..n_people {
        let team = (p / 8).min(n_teams - 1);
        team_members[team].push(p);
        let availability = match rng.random_range(0..10) {
            0 => "0.5",
            1 | 2 => "0.8",
            _ => "1.0",
        };
        let rate = 500 + 50 * rng.random_range(0..16);
        let _ = write!(
            out,
            "[person.p{p:05}]\nteam = \"team{team:03}\"\navailability = {availability}\nrate = \"{rate}/day\"\n"
        );
        if rng.random_bool(0.6) {
            // One or two weeks off somewhere in the first eighteen months.
            let start = chrono::NaiveDate::from_ymd_opt(2027, 1, 4)
                .and_then(|d| d.checked_add_days(chrono::Days::new(rng.random_range(14..540))));
            if let Some(start) = start {
                let len = if rng.random_bool(0.5) { 4 } else { 11 };
                if let Some(end) = start.checked_add_days(chrono::Days::new(len)) {
                    let _ = writeln!(out, "off = [\"{start}..{end}\"]");
                }
            }
        }
        out.push('\n');
    }

    // One workstream (summary task) per team; tasks are dealt round-robin in blocks so
    // that each workstream has a contiguous history to depend on.
    for t in 0..n_teams {
        let _ = writeln!(
            out,
            "[[task]]\nid = \"ws{t:03}\"\nname = \"Workstream of team {t}\"\nteam = \"team{t:03}\"\n"
        );
    }
    let mut by_team: Vec<Vec<usize>> = vec![Vec::new(); n_teams];
    let mut milestones = Vec::new();
    for i in 0..options.tasks {
        let team = (i / 25) % n_teams;
        let members = &team_members[team];
        let person = members[rng.random_range(0..members.len())];
        let likely = rng.random_range(1..=10) as f64;
        let optimistic = (likely * rng.random_range(0.5..0.9)).max(0.5);
        let pessimistic = likely * rng.random_range(1.2..2.5);
        let _ = write!(
            out,
            "[[task]]\nid = \"t{i:06}\"\nname = \"Task {i}\"\nparent = \"ws{team:03}\"\nassignee = \"p{person:05}\"\n\
             effort = \"{optimistic:.1}d/{likely:.0}d/{pessimistic:.1}d\"\n"
        );
        let mut k = options.links_per_task.floor() as usize;
        if rng.random_bool(options.links_per_task.fract()) {
            k += 1;
        }
        let mut preds: Vec<usize> = Vec::with_capacity(k);
        for _ in 0..k {
            let own = &by_team[team];
            let candidate = if !own.is_empty() && rng.random_bool(0.7) {
                own[rng.random_range(0..own.len())]
            } else if i > 0 {
                rng.random_range(0..i)
            } else {
                continue;
            };
            if !preds.contains(&candidate) {
                preds.push(candidate);
            }
        }
        if !preds.is_empty() {
            out.push_str("after = [");
            for (j, p) in preds.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let link = match rng.random_range(0..100) {
                    0..80 => "",
                    80..90 => " SS",
                    90..98 => " FF",
                    _ => " SF",
                };
                let lag = match rng.random_range(0..10) {
                    0 => format!("+{}d", rng.random_range(1..=5)),
                    1 => format!("-{}d", rng.random_range(1..=2)),
                    _ => String::new(),
                };
                let lag = if lag.is_empty() || !link.is_empty() {
                    lag
                } else {
                    format!(" {lag}")
                };
                let _ = write!(out, "\"t{p:06}{link}{lag}\"");
            }
            out.push_str("]\n");
        }
        out.push('\n');
        by_team[team].push(i);
        if i % 100 == 99 {
            milestones.push(i);
        }
    }
    for (m, &last) in milestones.iter().enumerate() {
        let weeks = 6 + (last / 40) as u64 + rng.random_range(0..6);
        let promised = chrono::NaiveDate::from_ymd_opt(2027, 1, 4)
            .and_then(|d| d.checked_add_days(chrono::Days::new(weeks * 7)));
        let _ = write!(
            out,
            "[[milestone]]\nid = \"m{m:04}\"\nname = \"Milestone {m}\"\nafter = [\"t{last:06}\", \"t{:06}\"]\n",
            last.saturating_sub(37)
        );
        if let Some(p) = promised {
            let _ = writeln!(out, "promised = {p}");
        }
        out.push('\n');
    }
    let risks = options
        .risks
        .unwrap_or((options.tasks / 300).clamp(1, 200))
        .min(options.tasks);
    for r in 0..risks {
        let target = rng.random_range(0..options.tasks);
        let owner = rng.random_range(0..n_people);
        let probability = rng.random_range(5..60) as f64 / 100.0;
        let _ = write!(
            out,
            "[[risk]]\nid = \"R{r:03}\"\ntitle = \"Risk {r}\"\nowner = \"p{owner:05}\"\nprobability = {probability}\n\
             delay = \"2d/5d/15d\"\ncost = {}\naffects = [\"t{target:06}\"]\n\n",
            1000 * rng.random_range(1..50)
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_text_and_it_reads_back() {
        let o = Options {
            tasks: 300,
            seed: 7,
            people: 20,
            links_per_task: 2.5,
            risks: None,
        };
        let a = generate(&o).expect("valid options");
        let b = generate(&o).expect("valid options");
        assert_eq!(a, b);
        let loaded = crate::load_str("gen.toml", &a, &[]);
        assert!(
            loaded.diagnostics.is_empty(),
            "{:?}",
            &loaded.diagnostics[..loaded.diagnostics.len().min(3)]
        );
        let program = loaded.program.expect("valid program");
        assert_eq!(
            program
                .tasks
                .iter()
                .filter(|t| t.kind == tiller_core::TaskKind::Leaf)
                .count(),
            300
        );
        let c = generate(&Options { seed: 8, ..o }).expect("valid options");
        assert_ne!(a, c);
    }

    #[test]
    fn rejects_absurd_options() {
        let o = Options {
            tasks: 0,
            seed: 1,
            people: 5,
            links_per_task: 3.0,
            risks: None,
        };
        assert!(generate(&o).is_err());
        assert!(
            generate(&Options {
                tasks: 10,
                links_per_task: f64::NAN,
                ..o
            })
            .is_err()
        );
    }
}
