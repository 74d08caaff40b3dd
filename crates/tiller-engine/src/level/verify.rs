//! An independent check of leveled schedules against the program.
//!
//! Written from the plan format's rules, day by day, straight from the
//! program's calendars, time off and availabilities: it shares no code with
//! the leveling model (no work-rate profiles, no tick arithmetic helpers,
//! no network), so a bug there cannot hide itself here.
//!
//! It checks, for every task:
//! - its work: the task starts on a working day of the people it was given
//!   (or of its calendar) and finishes on the day its work is complete, at
//!   their availability, pausing on their days off and on the closed days
//!   of the shared resources it uses;
//! - who does it: exactly its named assignees, or `people` members of its
//!   team, or nobody;
//! - every dependency with its lag, `not_before`, the program start, the
//!   status date and reported progress;
//! - summaries span their children;
//! - capacity: after the status date, nobody works on two tasks on the same
//!   day and no shared resource is used beyond its capacity (or at all on a
//!   day its calendar is closed).

use chrono::{Days, NaiveDate};
use tiller_core::{
    Assignment, PersonIdx, Program, ResourceIdx, TaskIdx, TaskKind, TaskStatus, Work,
};

/// Leveled times and people of one task, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Start tick (`2 * day` is the start of a day, `2 * day + 1` its end)
    /// as shown: the actual start of work in progress.
    pub start: i64,
    pub finish: i64,
    /// When the (remaining) work runs from: `start`, except for work in
    /// progress.
    pub resume: i64,
    pub people: Vec<PersonIdx>,
}

/// One way a leveled schedule breaks the program's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    WrongLength {
        expected: usize,
        found: usize,
    },
    /// The task's people are not its assignees or a valid team choice.
    People {
        task: TaskIdx,
    },
    /// The work does not start on a working day, or does not end on the day
    /// it is complete.
    Work {
        task: TaskIdx,
        expected_finish: Option<i64>,
    },
    /// A dependency is not respected: `task` at `at`, `bound` required.
    Dependency {
        task: TaskIdx,
        pred: TaskIdx,
        at: i64,
        bound: i64,
    },
    /// Before the program start, its `not_before` or the status date.
    TooEarly {
        task: TaskIdx,
        at: i64,
        bound: i64,
    },
    /// Reported progress (actual dates) not kept.
    Progress {
        task: TaskIdx,
    },
    /// A summary does not span its children.
    Summary {
        task: TaskIdx,
    },
    /// A person works on several tasks on one day.
    PersonOverloaded {
        person: PersonIdx,
        day: i64,
        tasks: Vec<TaskIdx>,
    },
    /// A shared resource is used beyond its capacity on a day.
    ResourceOverloaded {
        resource: ResourceIdx,
        day: i64,
        used: u64,
        capacity: u32,
        tasks: Vec<TaskIdx>,
    },
}

struct Checker<'p> {
    p: &'p Program,
}

impl Checker<'_> {
    fn date(&self, day: i64) -> Option<NaiveDate> {
        if day >= 0 {
            self.p.start.checked_add_days(Days::new(day as u64))
        } else {
            self.p.start.checked_sub_days(Days::new(day.unsigned_abs()))
        }
    }

    fn day(&self, date: NaiveDate) -> i64 {
        (date - self.p.start).num_days()
    }

    fn person_works(&self, p: PersonIdx, day: i64) -> bool {
        let person = self.p.person(p);
        let Some(date) = self.date(day) else {
            return false;
        };
        self.p.calendar(person.calendar).is_working_day(date)
            && !person.time_off.iter().any(|r| r.contains(date))
    }

    fn calendar_works(&self, c: tiller_core::CalendarIdx, day: i64) -> bool {
        self.date(day)
            .is_some_and(|d| self.p.calendar(c).is_working_day(d))
    }

    fn resource_open(&self, r: ResourceIdx, day: i64) -> bool {
        match self.p.resources[r.index()].calendar {
            Some(c) => self.calendar_works(c, day),
            None => true,
        }
    }

    /// Work done on `day` (thousandths of a person-day) by the task with
    /// these people, per the plan format's work rules.
    fn rate(&self, t: TaskIdx, people: &[PersonIdx], day: i64) -> i64 {
        let task = self.p.task(t);
        if task.uses.iter().any(|(r, _)| !self.resource_open(*r, day)) {
            return 0;
        }
        let effort = matches!(task.work, Some(Work::Effort(_)));
        if !people.is_empty() {
            if effort {
                return people
                    .iter()
                    .filter(|p| self.person_works(**p, day))
                    .map(|p| (self.p.person(*p).availability * 1000.0).round() as i64)
                    .sum();
            }
            return if people.iter().all(|p| self.person_works(*p, day)) {
                1000
            } else {
                0
            };
        }
        let team_cal = |team: tiller_core::TeamIdx| {
            self.p
                .team(team)
                .calendar
                .unwrap_or(self.p.default_calendar)
        };
        match (&task.assignment, effort) {
            (Assignment::Team { team, people }, true) => {
                if !self.calendar_works(team_cal(*team), day) {
                    return 0;
                }
                let members = &self.p.team(*team).members;
                if members.is_empty() {
                    return 0;
                }
                let mean = members
                    .iter()
                    .map(|m| self.p.person(*m).availability)
                    .sum::<f64>()
                    / members.len() as f64;
                (f64::from(*people) * mean * 1000.0).round() as i64
            }
            (Assignment::Team { team, .. }, false) => {
                if self.calendar_works(team_cal(*team), day) {
                    1000
                } else {
                    0
                }
            }
            _ => {
                let cal = task.team.map_or(self.p.default_calendar, team_cal);
                if self.calendar_works(cal, day) {
                    1000
                } else {
                    0
                }
            }
        }
    }

    fn program_works(&self, day: i64) -> bool {
        self.calendar_works(self.p.default_calendar, day)
    }

    /// `tick` moved by `days` working days of the program calendar (or
    /// elapsed days), keeping its parity: the earliest tick of that parity
    /// with as many working days behind it as `tick` plus `days`.
    fn shift(&self, tick: i64, days: i32, elapsed: bool) -> i64 {
        if days == 0 {
            return tick;
        }
        if elapsed {
            return tick + 2 * i64::from(days);
        }
        let end = tick.rem_euclid(2) == 1;
        // x: the day boundary at `tick` (a start of day x, or the end of day
        // x - 1); count working days from there.
        let mut x = tick.div_euclid(2) + i64::from(end);
        let mut left = i64::from(days);
        if left > 0 {
            while left > 0 {
                if self.program_works(x) {
                    left -= 1;
                }
                x += 1;
                if x > 80_000 {
                    break;
                }
            }
        } else {
            // Going back: the earliest boundary with the same count.
            while left < 0 {
                x -= 1;
                if self.program_works(x) {
                    left += 1;
                }
                if x < -80_000 {
                    break;
                }
            }
            while !self.program_works(x - 1) && x > -80_000 {
                x -= 1;
            }
        }
        if end { 2 * x - 1 } else { 2 * x }
    }
}

/// Checks a leveled schedule (one [`Placed`] per task, summaries and
/// milestones included) against every rule of the program.
pub fn verify(program: &Program, placed: &[Placed]) -> Result<(), Vec<Violation>> {
    let n = program.tasks.len();
    if placed.len() != n {
        return Err(vec![Violation::WrongLength {
            expected: n,
            found: placed.len(),
        }]);
    }
    let c = Checker { p: program };
    let mut out = Vec::new();
    let progress = program.status_date.map(|d| program.progress_as_of(d));
    let status_end = program.status_date.map(|d| 2 * c.day(d) + 1);
    // Per task: fixed (done), in progress, or planned.
    let status = |i: usize| progress.as_ref().and_then(|p| p[i]);

    for (i, task) in program.tasks.iter().enumerate() {
        let t = TaskIdx(i as u32);
        let pl = &placed[i];
        match task.kind {
            TaskKind::Summary => {
                let kids = &task.children;
                let s = kids.iter().map(|k| placed[k.index()].start).min();
                let f = kids.iter().map(|k| placed[k.index()].finish).max();
                if s != Some(pl.start) || f != Some(pl.finish) {
                    out.push(Violation::Summary { task: t });
                }
                continue;
            }
            TaskKind::Milestone => {
                if pl.start != pl.finish || !pl.people.is_empty() {
                    out.push(Violation::Work {
                        task: t,
                        expected_finish: Some(pl.start),
                    });
                }
            }
            TaskKind::Leaf => {}
        }
        // Progress.
        let mut req = task.work.as_ref().map_or(0, |w| {
            (w.estimate().likely * 1000.0).round().max(0.0) as i64
        });
        let mut done = false;
        let mut in_progress = false;
        if let Some(p) = status(i) {
            let started = p.started.map(|d| 2 * c.day(d));
            match p.status {
                TaskStatus::Done => {
                    let finish = p
                        .finished
                        .map_or(started.unwrap_or(0), |d| 2 * c.day(d) + 1);
                    let start = started.unwrap_or(finish - 1).min(finish);
                    if (pl.start, pl.finish) != (start, finish) {
                        out.push(Violation::Progress { task: t });
                    }
                    done = true;
                }
                TaskStatus::InProgress if started.is_some() && task.work.is_some() => {
                    let rem = match (p.remaining, p.done) {
                        (Some(r), _) => (r * 1000.0).round() as i64,
                        (None, Some(d)) => ((1.0 - d) * req as f64).round() as i64,
                        (None, None) => req,
                    };
                    req = rem.max(0);
                    if Some(pl.start) != started {
                        out.push(Violation::Progress { task: t });
                    }
                    if req == 0 {
                        let f = status_end.unwrap_or(pl.start).max(pl.start);
                        if pl.finish != f {
                            out.push(Violation::Progress { task: t });
                        }
                        done = true;
                    }
                    in_progress = true;
                }
                _ => {}
            }
        }
        if done {
            continue;
        }
        let from = if in_progress { pl.resume } else { pl.start };
        if !in_progress && pl.resume != pl.start {
            out.push(Violation::Progress { task: t });
        }
        // Earliest allowed: program start, status date, not_before (own or
        // a summary's above it).
        let mut lower = 0i64;
        if let Some(se) = status_end {
            lower = lower.max(se);
        }
        let mut up = Some(t);
        while let Some(u) = up {
            if let Some(nb) = &program.task(u).not_before {
                lower = lower.max(2 * c.day(nb.value));
            }
            up = program.task(u).parent;
        }
        if from < lower {
            out.push(Violation::TooEarly {
                task: t,
                at: from,
                bound: lower,
            });
        }
        if task.kind == TaskKind::Milestone {
            continue;
        }
        // People.
        let ok_people = match &task.assignment {
            Assignment::People(named) => {
                let mut a = named.clone();
                let mut b = pl.people.clone();
                a.sort();
                b.sort();
                a == b
            }
            Assignment::Team { team, people } => {
                let members = &program.team(*team).members;
                let mut b = pl.people.clone();
                b.sort();
                b.dedup();
                (members.len() < *people as usize && pl.people.is_empty())
                    || (b.len() == pl.people.len()
                        && b.len() == *people as usize
                        && b.iter().all(|p| members.contains(p)))
            }
            Assignment::Unassigned => pl.people.is_empty(),
        };
        if !ok_people {
            out.push(Violation::People { task: t });
        }
        // Work: starts at the start of a working day, ends on the day the
        // work is complete.
        let sday = from.div_euclid(2);
        let mut expected = None;
        if from.rem_euclid(2) == 0 && c.rate(t, &pl.people, sday) > 0 {
            let mut acc = 0i64;
            let mut day = sday;
            while day <= sday + 80_000 {
                acc += c.rate(t, &pl.people, day);
                if acc >= req {
                    expected = Some(2 * day + 1);
                    break;
                }
                day += 1;
            }
        }
        if expected != Some(pl.finish) {
            out.push(Violation::Work {
                task: t,
                expected_finish: expected,
            });
        }
    }

    // Dependencies: from the predecessor's finish or (first) start, into
    // the successor, or into every task below a summary successor.
    let mut leaves_below: Vec<Vec<TaskIdx>> = vec![Vec::new(); n];
    for (i, task) in program.tasks.iter().enumerate() {
        if task.kind == TaskKind::Summary {
            continue;
        }
        let mut up = task.parent;
        while let Some(u) = up {
            leaves_below[u.index()].push(TaskIdx(i as u32));
            up = program.task(u).parent;
        }
    }
    let fixed = |i: usize| {
        status(i).is_some_and(|p| {
            p.status == TaskStatus::Done
                || (p.status == TaskStatus::InProgress
                    && p.started.is_some()
                    && program.tasks[i].work.is_some()
                    && p.remaining == Some(0.0))
        })
    };
    let in_progress = |i: usize| {
        status(i).is_some_and(|p| {
            p.status == TaskStatus::InProgress
                && p.started.is_some()
                && program.tasks[i].work.is_some()
        })
    };
    for (i, task) in program.tasks.iter().enumerate() {
        for dep in &task.deps {
            let pp = &placed[dep.pred.index()];
            let from = if dep.kind.from_finish() {
                pp.finish
            } else {
                pp.start
            };
            let bound = c.shift(from, dep.lag.days, dep.lag.elapsed);
            let targets: Vec<TaskIdx> = if task.kind == TaskKind::Summary {
                leaves_below[i].clone()
            } else {
                vec![TaskIdx(i as u32)]
            };
            for s in targets {
                if fixed(s.index()) {
                    continue;
                }
                let sp = &placed[s.index()];
                let at = if dep.kind.to_finish() {
                    sp.finish
                } else if in_progress(s.index()) {
                    sp.resume
                } else {
                    sp.start
                };
                if at < bound {
                    out.push(Violation::Dependency {
                        task: s,
                        pred: dep.pred,
                        at,
                        bound,
                    });
                }
            }
        }
    }

    // Capacity, day by day after the status date.
    let first_future = status_end.map_or(i64::MIN, |se| se.div_euclid(2) + 1);
    let mut person_days: std::collections::BTreeMap<(u32, i64), Vec<TaskIdx>> = Default::default();
    let mut res_days: std::collections::BTreeMap<(u32, i64), (u64, Vec<TaskIdx>)> =
        Default::default();
    for (i, task) in program.tasks.iter().enumerate() {
        if task.kind != TaskKind::Leaf || fixed(i) {
            continue;
        }
        let t = TaskIdx(i as u32);
        let pl = &placed[i];
        let from = if in_progress(i) { pl.resume } else { pl.start };
        let (a, b) = (
            from.div_euclid(2).max(first_future),
            pl.finish.div_euclid(2),
        );
        for day in a..=b {
            if c.rate(t, &pl.people, day) == 0 {
                continue;
            }
            for p in &pl.people {
                if c.person_works(*p, day) {
                    person_days.entry((p.0, day)).or_default().push(t);
                }
            }
            for (r, units) in &task.uses {
                let e = res_days.entry((r.0, day)).or_default();
                e.0 += u64::from(*units);
                e.1.push(t);
            }
        }
    }
    for ((p, day), tasks) in person_days {
        if tasks.len() > 1 {
            out.push(Violation::PersonOverloaded {
                person: PersonIdx(p),
                day,
                tasks,
            });
        }
    }
    for ((r, day), (used, tasks)) in res_days {
        let res = ResourceIdx(r);
        let capacity = if c.resource_open(res, day) {
            program.resources[r as usize].capacity
        } else {
            0
        };
        if used > u64::from(capacity) {
            out.push(Violation::ResourceOverloaded {
                resource: res,
                day,
                used,
                capacity,
                tasks,
            });
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}
