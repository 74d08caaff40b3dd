//! Small shared helpers: working days on the program calendar, and how numbers,
//! dates and colours are written in every report.

use chrono::NaiveDate;
use tiller_core::{Program, Rag, TaskIdx, TaskKind};
use tiller_engine::profile::Profile;

/// Working days of the program calendar: what slips, floats and durations are counted in.
pub struct WorkDays {
    origin: NaiveDate,
    axis: Profile,
}

impl WorkDays {
    pub fn new(program: &Program) -> Self {
        WorkDays {
            origin: program.start,
            axis: tiller_engine::calendars::Profiles::new(program).work_axis(),
        }
    }

    fn cum(&self, d: NaiveDate) -> i64 {
        self.axis.cum((d - self.origin).num_days())
    }

    /// Working days from `a` to `b` (positive when `b` is later; the same day is 0), as
    /// `tiller schedule --baseline` counts variance.
    pub fn between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        self.cum(b) - self.cum(a)
    }

    /// Working days in `first..=last` (0 when `last` is before `first`).
    pub fn span(&self, first: NaiveDate, last: NaiveDate) -> i64 {
        if last < first {
            return 0;
        }
        self.cum(last + chrono::Days::new(1)) - self.cum(first)
    }
}

/// The date `days` after `origin`.
pub fn date_after(origin: NaiveDate, days: i64) -> NaiveDate {
    tiller_engine::tick::date_of(origin, days).unwrap_or(origin)
}

/// Whole currency units with thousands separators.
pub use tiller_app::output::money;

/// A probability as a whole percentage.
pub fn pct(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// A ratio (SPI, CPI) with two decimals.
pub fn ratio(x: f64) -> String {
    format!("{x:.2}")
}

/// "3 working days", "1 working day".
pub fn wdays(n: i64) -> String {
    if n.abs() == 1 {
        format!("{n} working day")
    } else {
        format!("{n} working days")
    }
}

/// A colour as the report writes it: the label, never the colour alone.
pub fn rag_label(c: Option<Rag>) -> &'static str {
    c.map_or("NOT ASSESSED", Rag::label)
}

/// How a colour moved between two reports.
pub fn transition(now: Option<Rag>, before: Option<Rag>) -> &'static str {
    match (now, before) {
        (Some(n), Some(b)) if n > b => "worse",
        (Some(n), Some(b)) if n < b => "better",
        (Some(_), Some(_)) => "unchanged",
        _ => "not comparable",
    }
}

/// The name to show for a person.
pub fn person_name(program: &Program, p: Option<tiller_core::PersonIdx>) -> Option<String> {
    p.map(|p| {
        let person = program.person(p);
        person.name.clone().unwrap_or_else(|| person.id.clone())
    })
}

/// The display name of a team.
pub fn team_name(program: &Program, t: tiller_core::TeamIdx) -> String {
    let team = program.team(t);
    team.name.clone().unwrap_or_else(|| team.id.clone())
}

/// Whether `task` is `ancestor` or inside it.
pub fn within(program: &Program, task: TaskIdx, ancestor: TaskIdx) -> bool {
    let mut t = Some(task);
    while let Some(x) = t {
        if x == ancestor {
            return true;
        }
        t = program.task(x).parent;
    }
    false
}

/// The program's workstreams: the top-level summaries, or, when one summary holds
/// everything, the summaries directly under it.
pub fn workstreams(program: &Program) -> Vec<TaskIdx> {
    let summaries = |parent: Option<TaskIdx>| -> Vec<TaskIdx> {
        program
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.parent == parent && t.kind == TaskKind::Summary)
            .map(|(i, _)| TaskIdx(i as u32))
            .collect()
    };
    let top = summaries(None);
    let top_level_work = program
        .tasks
        .iter()
        .filter(|t| t.parent.is_none() && t.kind == TaskKind::Leaf)
        .count();
    if let [root] = top.as_slice()
        && top_level_work == 0
    {
        let inner = summaries(Some(*root));
        if !inner.is_empty() {
            return inner;
        }
    }
    top
}

/// The first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_the_sign_and_groups_thousands() {
        assert_eq!(money(1234567.4), "1,234,567");
        assert_eq!(money(-60510.0), "-60,510");
        assert_eq!(money(0.2), "0");
    }

    #[test]
    fn transitions_compare_colours() {
        assert_eq!(transition(Some(Rag::Red), Some(Rag::Amber)), "worse");
        assert_eq!(transition(Some(Rag::Green), Some(Rag::Amber)), "better");
        assert_eq!(transition(Some(Rag::Amber), Some(Rag::Amber)), "unchanged");
        assert_eq!(transition(None, Some(Rag::Amber)), "not comparable");
    }
}
