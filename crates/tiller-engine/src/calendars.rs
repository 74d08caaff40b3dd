//! Turning the program's calendars, people and assignments into work-rate profiles.

use std::collections::HashMap;

use chrono::NaiveDate;
use tiller_core::{
    Assignment, Calendar, CalendarIdx, DateRange, PersonIdx, Program, TeamIdx, Weekday, Work,
};

use crate::profile::{Day, Profile};

/// Rate of one full-time person on one working day; work is counted in thousandths of a
/// person-day so that part-time availability stays in integers.
pub const FULL_DAY: i64 = 1000;

/// Which rate profile a task runs on. Tasks with the same key share one profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProfileKey {
    /// Working days of a calendar at a full day's rate (durations, unassigned effort,
    /// milestones).
    Calendar(CalendarIdx),
    /// Effort shared by named people: the sum of their availability on days they work.
    PeopleEffort(Vec<PersonIdx>),
    /// Duration on days when every named person works (and is not off).
    PeopleDuration(Vec<PersonIdx>),
    /// Effort by `n` members of a team at the team's mean availability, on the team
    /// calendar (who exactly is decided by leveling).
    TeamEffort(TeamIdx, u32),
}

impl ProfileKey {
    /// The profile a task's work runs on; `team` is the task's owning team, whose
    /// calendar unassigned work follows.
    pub fn for_work(
        program: &Program,
        work: Option<&Work>,
        assignment: &Assignment,
        team: Option<TeamIdx>,
    ) -> Self {
        let effort = matches!(work, Some(Work::Effort(_)));
        match (assignment, effort) {
            (Assignment::People(people), true) => ProfileKey::PeopleEffort(sorted(people)),
            (Assignment::People(people), false) => ProfileKey::PeopleDuration(sorted(people)),
            (Assignment::Team { team, people }, true) => ProfileKey::TeamEffort(*team, *people),
            (Assignment::Team { team, .. }, false) => {
                ProfileKey::Calendar(program.team_calendar(*team))
            }
            (Assignment::Unassigned, _) => ProfileKey::Calendar(match team {
                Some(t) => program.team_calendar(t),
                None => program.default_calendar,
            }),
        }
    }
}

fn sorted(people: &[PersonIdx]) -> Vec<PersonIdx> {
    let mut v = people.to_vec();
    v.sort();
    v.dedup();
    v
}

fn day_number(origin: NaiveDate, date: NaiveDate) -> Day {
    (date - origin).num_days()
}

/// A calendar's working days as day numbers, ready for fast lookups.
struct DayCalendar {
    week: [bool; 7],
    /// Inclusive holiday ranges as day numbers, sorted and disjoint.
    holidays: Vec<(Day, Day)>,
    origin_weekday: usize,
}

impl DayCalendar {
    fn new(origin: NaiveDate, cal: &Calendar) -> Self {
        DayCalendar {
            week: cal.workweek.0,
            holidays: ranges(origin, &cal.holidays),
            origin_weekday: Weekday::of(origin).index(),
        }
    }

    fn works(&self, day: Day) -> bool {
        let wd = (day + self.origin_weekday as i64).rem_euclid(7) as usize;
        self.week[wd] && !in_ranges(&self.holidays, day)
    }
}

fn ranges(origin: NaiveDate, ranges: &[DateRange]) -> Vec<(Day, Day)> {
    ranges
        .iter()
        .map(|r| (day_number(origin, r.first), day_number(origin, r.last)))
        .collect()
}

fn in_ranges(ranges: &[(Day, Day)], day: Day) -> bool {
    let idx = ranges.partition_point(|r| r.0 <= day);
    idx > 0 && ranges[idx - 1].1 >= day
}

/// Every day covered by the ranges: where a profile may depart from its weekly pattern.
fn days_in(ranges: &[(Day, Day)], out: &mut Vec<Day>) {
    for &(first, last) in ranges {
        out.extend(first..=last);
    }
}

/// One assignee as a profile sees them: calendar, time off, daily rate.
type Member<'c> = (&'c DayCalendar, &'c [(Day, Day)], i64);

/// Builds and caches the profiles of a program.
pub struct Profiles<'a> {
    program: &'a Program,
    calendars: Vec<DayCalendar>,
    time_off: Vec<Vec<(Day, Day)>>,
    keys: HashMap<ProfileKey, u32>,
    pub profiles: Vec<Profile>,
}

impl<'a> Profiles<'a> {
    pub fn new(program: &'a Program) -> Self {
        let origin = program.start;
        Profiles {
            program,
            calendars: program
                .calendars
                .iter()
                .map(|c| DayCalendar::new(origin, c))
                .collect(),
            time_off: program
                .people
                .iter()
                .map(|p| ranges(origin, &p.time_off))
                .collect(),
            keys: HashMap::new(),
            profiles: Vec::new(),
        }
    }

    /// The program calendar at rate 1 per working day: the axis lags and floats use.
    pub fn work_axis(&self) -> Profile {
        let cal = &self.calendars[self.program.default_calendar.index()];
        let mut days = Vec::new();
        days_in(&cal.holidays, &mut days);
        let week = cal.week.map(i64::from);
        Profile::build(self.program.start, week, days, |d| i64::from(cal.works(d)))
    }

    /// Index of the profile for `key`, building it on first use.
    pub fn get(&mut self, key: &ProfileKey) -> u32 {
        if let Some(&idx) = self.keys.get(key) {
            return idx;
        }
        let profile = self.build(key);
        let idx = self.profiles.len() as u32;
        self.profiles.push(profile);
        self.keys.insert(key.clone(), idx);
        idx
    }

    fn build(&self, key: &ProfileKey) -> Profile {
        let origin = self.program.start;
        let mut days = Vec::new();
        match key {
            ProfileKey::Calendar(c) => {
                let cal = &self.calendars[c.index()];
                days_in(&cal.holidays, &mut days);
                Profile::build(origin, scale(cal.week, FULL_DAY), days, |d| {
                    if cal.works(d) { FULL_DAY } else { 0 }
                })
            }
            ProfileKey::TeamEffort(team, n) => {
                let cal = &self.calendars[self.program.team_calendar(*team).index()];
                let rate = (*n as f64 * self.mean_availability(*team) * FULL_DAY as f64).round();
                let rate = rate as i64;
                days_in(&cal.holidays, &mut days);
                Profile::build(origin, scale(cal.week, rate), days, |d| {
                    if cal.works(d) { rate } else { 0 }
                })
            }
            ProfileKey::PeopleEffort(people) | ProfileKey::PeopleDuration(people) => {
                let effort = matches!(key, ProfileKey::PeopleEffort(_));
                let mut week = [0i64; 7];
                let mut all_work = [true; 7];
                let members: Vec<Member> = people
                    .iter()
                    .map(|p| {
                        let person = self.program.person(*p);
                        let cal = &self.calendars[person.calendar.index()];
                        let rate = (person.availability * FULL_DAY as f64).round() as i64;
                        days_in(&cal.holidays, &mut days);
                        let off = &self.time_off[p.index()];
                        days_in(off, &mut days);
                        for w in 0..7 {
                            if cal.week[w] {
                                week[w] += rate;
                            } else {
                                all_work[w] = false;
                            }
                        }
                        (cal, off.as_slice(), rate)
                    })
                    .collect();
                let week = if effort {
                    week
                } else {
                    scale(all_work, FULL_DAY)
                };
                Profile::build(origin, week, days, |d| {
                    let mut total = 0;
                    for (cal, off, rate) in &members {
                        let available = cal.works(d) && !in_ranges(off, d);
                        if effort {
                            if available {
                                total += rate;
                            }
                        } else if !available {
                            return 0;
                        }
                    }
                    if effort { total } else { FULL_DAY }
                })
            }
        }
    }

    fn mean_availability(&self, team: TeamIdx) -> f64 {
        let members = &self.program.team(team).members;
        if members.is_empty() {
            return 0.0;
        }
        let sum: f64 = members
            .iter()
            .map(|p| self.program.person(*p).availability)
            .sum();
        sum / members.len() as f64
    }
}

fn scale(week: [bool; 7], rate: i64) -> [i64; 7] {
    week.map(|w| if w { rate } else { 0 })
}
