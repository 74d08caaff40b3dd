//! Throughput forecasts for agile teams: when will N items be done, how many by a date.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{Program, TeamIdx};
use tiller_engine::calendars::{FULL_DAY, ProfileKey, Profiles};
use tiller_engine::forecast::{items_in, percentile_of, weeks_for_items};
use tiller_engine::profile::WorkCalendar;
use tiller_engine::tick::date_of;

#[derive(Debug, thiserror::Error)]
pub enum ThroughputError {
    #[error("no team `{0}`")]
    UnknownTeam(String),
    #[error(
        "team `{0}` has no throughput history (or only zeros); add `throughput = [...]` under `[team.{0}]`"
    )]
    NoHistory(String),
    #[error("{0} is before the forecast starts ({1})")]
    Past(NaiveDate, NaiveDate),
}

#[derive(Debug, Serialize)]
pub struct WhenDone {
    pub team: String,
    pub items: f64,
    pub from: NaiveDate,
    /// Dates by which the items are done with 50, 70, 85 and 95 % confidence.
    pub p50: NaiveDate,
    pub p70: NaiveDate,
    pub p85: NaiveDate,
    pub p95: NaiveDate,
}

#[derive(Debug, Serialize)]
pub struct HowMany {
    pub team: String,
    pub from: NaiveDate,
    pub by: NaiveDate,
    pub weeks: u64,
    /// At least this many items are done with 50, 70, 85 and 95 % confidence.
    pub p50: f64,
    pub p70: f64,
    pub p85: f64,
    pub p95: f64,
}

struct Team<'p> {
    idx: TeamIdx,
    history: &'p [f64],
    from: NaiveDate,
}

fn team<'p>(program: &'p Program, id: &str) -> Result<Team<'p>, ThroughputError> {
    let idx = program
        .teams
        .iter()
        .position(|t| t.id == id)
        .map(|i| TeamIdx(i as u32))
        .ok_or_else(|| ThroughputError::UnknownTeam(id.to_string()))?;
    let history = &program.team(idx).throughput;
    if history.iter().all(|&t| t <= 0.0) {
        return Err(ThroughputError::NoHistory(id.to_string()));
    }
    // Work starts the day after the status date (progress is known to its end).
    let from = program
        .status_date
        .and_then(|d| d.succ_opt())
        .unwrap_or(program.start)
        .max(program.start);
    Ok(Team { idx, history, from })
}

/// When will `items` be done?
pub fn when_done(
    program: &Program,
    team_id: &str,
    items: f64,
    iterations: usize,
    seed: u64,
) -> Result<WhenDone, ThroughputError> {
    let t = team(program, team_id)?;
    let weeks = weeks_for_items(t.history, items, iterations, seed);
    let mut profiles = Profiles::new(program);
    let cal = program.team_calendar(t.idx);
    let per_week = program.calendar(cal).workweek.days_per_week().max(1) as f64;
    let key = profiles.get(&ProfileKey::Calendar(cal));
    let profile = &profiles.profiles[key as usize];
    let start = (t.from - program.start).num_days();
    let start = profile.next_working(start).unwrap_or(start);
    let date = |w: f64| {
        let days = (w * per_week).ceil().max(1.0) as i64;
        profile
            .finish_day(start, days * FULL_DAY)
            .and_then(|d| date_of(program.start, d))
            .unwrap_or(t.from)
    };
    Ok(WhenDone {
        team: team_id.to_string(),
        items,
        from: t.from,
        p50: date(percentile_of(&weeks, 0.50)),
        p70: date(percentile_of(&weeks, 0.70)),
        p85: date(percentile_of(&weeks, 0.85)),
        p95: date(percentile_of(&weeks, 0.95)),
    })
}

/// How many items will be done by `by`?
pub fn how_many(
    program: &Program,
    team_id: &str,
    by: NaiveDate,
    iterations: usize,
    seed: u64,
) -> Result<HowMany, ThroughputError> {
    let t = team(program, team_id)?;
    if by < t.from {
        return Err(ThroughputError::Past(by, t.from));
    }
    let cal = program.calendar(program.team_calendar(t.idx));
    let working = t
        .from
        .iter_days()
        .take_while(|d| *d <= by)
        .filter(|d| cal.is_working_day(*d))
        .count() as u64;
    let weeks = working / cal.workweek.days_per_week().max(1) as u64;
    let items = items_in(t.history, weeks, iterations, seed);
    // "At least X with 85 % confidence" is the 15th percentile of the count.
    Ok(HowMany {
        team: team_id.to_string(),
        from: t.from,
        by,
        weeks,
        p50: percentile_of(&items, 0.50),
        p70: percentile_of(&items, 0.30),
        p85: percentile_of(&items, 0.15),
        p95: percentile_of(&items, 0.05),
    })
}
