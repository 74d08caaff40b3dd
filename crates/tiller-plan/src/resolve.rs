//! Second stage: the raw records of all files linked into one validated
//! [`tiller_core::Program`], with a diagnostic for every bad reference or value.

use std::collections::HashMap;

use chrono::NaiveDate;
use tiller_core::{
    Assignment, Assumption, AssumptionStatus, Baseline, BaselineTask, Calendar, CalendarIdx,
    DateRange, Decision, DecisionStatus, DeliverableIdx, Dependency, Distribution, Estimate,
    ForecastSettings, GoalIdx, Issue, IssueStatus, Lag, Located, Money, Person, PersonIdx, Program,
    ProgressUpdate, RaidLink, ResourceIdx, Risk, RiskImpact, RiskKind, RiskResponse, RiskStatus,
    Scenario, Severity, SharedResource, SourceRef, Task, TaskIdx, TaskKind, TaskStatus, Team,
    TeamIdx, Work, calendar::normalize_ranges,
};

use crate::diagnostic::{Code, Diagnostic};
use crate::raw::{RaidKind, RawDep, RawFile, RawImpact, RawRaid, RawTask};
use crate::reader::{S, did_you_mean};
use crate::values::{Amount, MAX_DAYS, RatePer, Unit};

/// How far from the program start a date may be before it is taken for a typo.
const MAX_YEARS: i64 = 100;

/// A namespace of ids: where each was first defined.
struct Names<'a> {
    what: &'static str,
    map: HashMap<&'a str, (u32, SourceRef)>,
    order: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn new(what: &'static str) -> Self {
        Names {
            what,
            map: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Registers an id; reports a duplicate and returns `false` if it exists.
    fn define(&mut self, id: &'a S<String>, diags: &mut Vec<Diagnostic>) -> bool {
        if let Some((_, first)) = self.map.get(id.v.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    id.at,
                    format!("duplicate {} id `{}`", self.what, id.v),
                )
                .label("defined again here")
                .also(*first, "first defined here")
                .help(format!(
                    "{} ids must be unique across all files of the program",
                    self.what
                )),
            );
            return false;
        }
        let idx = self.order.len() as u32;
        self.map.insert(id.v.as_str(), (idx, id.at));
        self.order.push(id.v.as_str());
        true
    }

    fn get(&self, id: &str) -> Option<u32> {
        self.map.get(id).map(|(i, _)| *i)
    }

    /// Looks up a reference, reporting an unknown one with a suggestion.
    fn resolve(&self, r: &S<String>, context: &str, diags: &mut Vec<Diagnostic>) -> Option<u32> {
        if let Some(i) = self.get(&r.v) {
            return Some(i);
        }
        let mut d = Diagnostic::new(
            Code::UnknownReference,
            r.at,
            format!("unknown {} `{}` in {context}", self.what, r.v),
        )
        .label(format!("no {} has this id", self.what));
        // Suggestions compare against every id; skip them once there are many errors so
        // a plan with thousands of bad references still checks quickly.
        if diags.len() < 200 {
            d = match did_you_mean(&r.v, self.order.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None if self.order.is_empty() => d.help(format!("no {} is defined", self.what)),
                None => d,
            };
        }
        diags.push(d);
        None
    }
}

/// Everything needed to link the raw files.
pub(crate) struct Resolver<'a> {
    pub files: &'a [RawFile],
    pub root_at: SourceRef,
}

impl<'a> Resolver<'a> {
    pub fn resolve(&self, diags: &mut Vec<Diagnostic>) -> Option<Program> {
        let files = self.files;

        // The program table: only in the root file.
        let mut program_raw = None;
        for (i, f) in files.iter().enumerate() {
            if let Some(p) = &f.program {
                if i == 0 {
                    program_raw = Some(p);
                } else {
                    diags.push(
                        Diagnostic::new(Code::Include, p.at, "`[program]` in an included file")
                            .label("only the root plan file may have `[program]`")
                            .help("move these settings to the root file, or run tiller on this file directly"),
                    );
                }
            }
        }
        let Some(pr) = program_raw else {
            diags.push(
                Diagnostic::new(
                    Code::MissingKey,
                    self.root_at,
                    "the plan has no `[program]` table",
                )
                .label("expected `[program]` with at least `name` and `start`")
                .help("start the file with:\n[program]\nname = \"My program\"\nstart = 2027-01-11"),
            );
            return None;
        };
        let start = pr.start.as_ref()?.v;
        let check_date =
            |d: &S<NaiveDate>, diags: &mut Vec<Diagnostic>| near_start(start, d, diags);

        // Calendars.
        let mut cal_names = Names::new("calendar");
        let mut raw_cals = Vec::new();
        for f in files {
            for c in &f.calendars {
                if cal_names.define(&c.id, diags) {
                    raw_cals.push(c);
                }
            }
        }
        let mut calendars: Vec<Calendar> = Vec::with_capacity(raw_cals.len() + 1);
        // Resolve `based_on` in dependency order; a cycle leaves the rest unresolved.
        let mut resolved: Vec<Option<Calendar>> = vec![None; raw_cals.len()];
        for _round in 0..=raw_cals.len() {
            let mut progress = false;
            for (i, c) in raw_cals.iter().enumerate() {
                if resolved[i].is_some() {
                    continue;
                }
                let base = match &c.based_on {
                    None => Some(Calendar::standard()),
                    Some(b) => match cal_names.get(&b.v) {
                        Some(bi) => resolved[bi as usize].clone(),
                        None => None,
                    },
                };
                if let Some(base) = base {
                    let mut holidays: Vec<DateRange> = base.holidays.clone();
                    for h in &c.holidays {
                        if check_date(
                            &S {
                                v: h.v.first,
                                at: h.at,
                            },
                            diags,
                        ) && check_date(
                            &S {
                                v: h.v.last,
                                at: h.at,
                            },
                            diags,
                        ) {
                            holidays.push(h.v);
                        }
                    }
                    normalize_ranges(&mut holidays);
                    resolved[i] = Some(Calendar {
                        id: c.id.v.clone(),
                        name: c.name.clone(),
                        workweek: c.workweek.as_ref().map_or(base.workweek, |w| w.v),
                        hours_per_day: c.hours_per_day.as_ref().map_or(base.hours_per_day, |h| h.v),
                        holidays,
                        src: c.id.at,
                    });
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        for (i, c) in raw_cals.iter().enumerate() {
            match resolved[i].take() {
                Some(cal) => calendars.push(cal),
                None => {
                    if let Some(b) = &c.based_on {
                        if cal_names.get(&b.v).is_none() {
                            cal_names.resolve(b, &format!("calendar `{}`", c.id.v), diags);
                        } else {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    b.at,
                                    format!(
                                        "calendar `{}` is based on itself through `based_on`",
                                        c.id.v
                                    ),
                                )
                                .label("`based_on` chain loops back here"),
                            );
                        }
                    }
                    calendars.push(Calendar {
                        id: c.id.v.clone(),
                        ..Calendar::standard()
                    });
                }
            }
        }
        let default_calendar = match &pr.calendar {
            Some(c) => cal_names.resolve(c, "`[program]`", diags).unwrap_or(0),
            None => match cal_names.get("default") {
                Some(i) => i,
                None if calendars.len() == 1 => 0,
                None if calendars.is_empty() => {
                    calendars.push(Calendar::standard());
                    0
                }
                None => {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            pr.at,
                            "the program's default calendar is ambiguous",
                        )
                        .label(format!(
                            "{} calendars are defined and none is called `default`",
                            calendars.len()
                        ))
                        .help(format!(
                            "add `calendar = \"{}\"` to `[program]`",
                            calendars[0].id
                        )),
                    );
                    0
                }
            },
        };
        let default_calendar = CalendarIdx(default_calendar);
        let program_cal = calendars[default_calendar.index()].clone();
        let days_per_week = program_cal.workweek.days_per_week().max(1) as f64;
        let hours_per_day = program_cal.hours_per_day;

        // Teams and people.
        let mut team_names = Names::new("team");
        let mut raw_teams = Vec::new();
        for f in files {
            for t in &f.teams {
                if team_names.define(&t.id, diags) {
                    raw_teams.push(t);
                }
            }
        }
        let mut person_names = Names::new("person");
        let mut raw_people = Vec::new();
        for f in files {
            for p in &f.people {
                if person_names.define(&p.id, diags) {
                    raw_people.push(p);
                }
            }
        }
        let mut teams: Vec<Team> = raw_teams
            .iter()
            .map(|t| Team {
                throughput: t.throughput.as_ref().map_or_else(Vec::new, |h| h.v.clone()),
                id: t.id.v.clone(),
                name: t.name.clone(),
                lead: None,
                members: Vec::new(),
                calendar: t
                    .calendar
                    .as_ref()
                    .and_then(|c| cal_names.resolve(c, &format!("team `{}`", t.id.v), diags))
                    .map(CalendarIdx),
                src: t.id.at,
            })
            .collect();
        // A person's team: their own `team`, or the team listing them in `members`.
        let mut member_of: Vec<Option<(TeamIdx, SourceRef)>> = vec![None; raw_people.len()];
        for (ti, t) in raw_teams.iter().enumerate() {
            for m in &t.members {
                if let Some(pi) =
                    person_names.resolve(m, &format!("members of team `{}`", t.id.v), diags)
                {
                    if let Some((other, _)) = member_of[pi as usize]
                        && other.index() != ti
                    {
                        diags.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                m.at,
                                format!(
                                    "`{}` is a member of team `{}` and of team `{}`",
                                    m.v,
                                    raw_teams[other.index()].id.v,
                                    t.id.v
                                ),
                            )
                            .label("listed in a second team")
                            .help("a person belongs to one team; remove them from one list"),
                        );
                    }
                    member_of[pi as usize] = Some((TeamIdx(ti as u32), m.at));
                }
            }
        }
        let mut people = Vec::with_capacity(raw_people.len());
        for (pi, p) in raw_people.iter().enumerate() {
            let own = p
                .team
                .as_ref()
                .and_then(|t| team_names.resolve(t, &format!("person `{}`", p.id.v), diags))
                .map(TeamIdx);
            if let (Some(own), Some((listed, at))) = (own, member_of[pi])
                && own != listed
            {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        at,
                        format!(
                            "`{}` is listed in team `{}` but belongs to team `{}`",
                            p.id.v,
                            teams[listed.index()].id,
                            teams[own.index()].id
                        ),
                    )
                    .label("listed in a second team")
                    .help("a person belongs to one team; remove them from one of the two"),
                );
            }
            let team = own.or(member_of[pi].map(|m| m.0));
            let calendar = match &p.calendar {
                Some(c) => cal_names
                    .resolve(c, &format!("person `{}`", p.id.v), diags)
                    .map(CalendarIdx),
                None => None,
            }
            .or_else(|| team.and_then(|t| teams[t.index()].calendar))
            .unwrap_or(default_calendar);
            let mut time_off: Vec<DateRange> = p
                .off
                .iter()
                .filter(|r| {
                    check_date(
                        &S {
                            v: r.v.first,
                            at: r.at,
                        },
                        diags,
                    ) && check_date(
                        &S {
                            v: r.v.last,
                            at: r.at,
                        },
                        diags,
                    )
                })
                .map(|r| r.v)
                .collect();
            normalize_ranges(&mut time_off);
            let cal_hours = calendars[calendar.index()].hours_per_day;
            let cal_days = calendars[calendar.index()].workweek.days_per_week().max(1) as f64;
            let day_rate = p.rate.as_ref().and_then(|r| {
                let per_day = match r.v.1 {
                    RatePer::Day => r.v.0,
                    RatePer::Hour => r.v.0 * cal_hours,
                    RatePer::Week => r.v.0 / cal_days,
                };
                Money::from_units(per_day)
            });
            if let Some(t) = team {
                teams[t.index()].members.push(PersonIdx(pi as u32));
            }
            people.push(Person {
                id: p.id.v.clone(),
                name: p.name.clone(),
                email: p.email.clone(),
                team,
                calendar,
                availability: p.availability.as_ref().map_or(1.0, |a| a.v),
                time_off,
                day_rate,
                src: p.id.at,
            });
        }
        for (ti, t) in raw_teams.iter().enumerate() {
            if let Some(lead) = &t.lead {
                teams[ti].lead = person_names
                    .resolve(lead, &format!("team `{}`", t.id.v), diags)
                    .map(PersonIdx);
            }
        }

        // Shared resources.
        let mut resource_names = Names::new("resource");
        let mut resources = Vec::new();
        for f in files {
            for r in &f.resources {
                if !resource_names.define(&r.id, diags) {
                    continue;
                }
                let capacity = match &r.capacity {
                    Some(c) if (1..=1_000_000).contains(&c.v) => c.v as u32,
                    Some(c) => {
                        diags.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                c.at,
                                format!("capacity of resource `{}` must be at least 1", r.id.v),
                            )
                            .label(format!("found {}", c.v)),
                        );
                        1
                    }
                    None => 1,
                };
                resources.push(SharedResource {
                    id: r.id.v.clone(),
                    name: r.name.clone(),
                    capacity,
                    calendar: r
                        .calendar
                        .as_ref()
                        .and_then(|c| {
                            cal_names.resolve(c, &format!("resource `{}`", r.id.v), diags)
                        })
                        .map(CalendarIdx),
                    src: r.id.at,
                });
            }
        }

        // Goals and deliverables.
        let mut goal_names = Names::new("goal");
        let mut goals = Vec::new();
        for f in files {
            for g in &f.goals {
                if goal_names.define(&g.id, diags) {
                    goals.push(tiller_core::Goal {
                        id: g.id.v.clone(),
                        name: g
                            .name
                            .as_ref()
                            .map_or_else(|| g.id.v.clone(), |n| n.v.clone()),
                        description: g.description.clone(),
                        owner: g
                            .owner
                            .as_ref()
                            .and_then(|o| {
                                person_names.resolve(o, &format!("goal `{}`", g.id.v), diags)
                            })
                            .map(PersonIdx),
                        src: g.at,
                    });
                }
            }
        }
        let mut deliverable_names = Names::new("deliverable");
        let mut deliverables = Vec::new();
        for f in files {
            for d in &f.deliverables {
                if deliverable_names.define(&d.id, diags) {
                    let context = format!("deliverable `{}`", d.id.v);
                    deliverables.push(tiller_core::Deliverable {
                        id: d.id.v.clone(),
                        name: d
                            .name
                            .as_ref()
                            .map_or_else(|| d.id.v.clone(), |n| n.v.clone()),
                        goal: d
                            .goal
                            .as_ref()
                            .and_then(|g| goal_names.resolve(g, &context, diags))
                            .map(GoalIdx),
                        due: d.due.as_ref().filter(|x| check_date(x, diags)).map(|x| x.v),
                        owner: d
                            .owner
                            .as_ref()
                            .and_then(|o| person_names.resolve(o, &context, diags))
                            .map(PersonIdx),
                        src: d.at,
                    });
                }
            }
        }

        let forecast = forecast_settings(files, diags);
        let pert_shape = match forecast.distribution {
            Distribution::Pert { shape } => shape,
            Distribution::Triangular => 4.0,
        };

        // Tasks and milestones share one namespace.
        let mut task_names = Names::new("task");
        let mut raw_tasks: Vec<&RawTask> = Vec::new();
        for f in files {
            for t in &f.tasks {
                if task_names.define(&t.id, diags) {
                    raw_tasks.push(t);
                }
            }
        }
        let n = raw_tasks.len();
        let mut parent: Vec<Option<TaskIdx>> = vec![None; n];
        let mut children: Vec<Vec<TaskIdx>> = vec![Vec::new(); n];
        for (i, t) in raw_tasks.iter().enumerate() {
            let Some(p) = &t.parent else { continue };
            let Some(pi) = task_names.resolve(p, &format!("the parent of `{}`", t.id.v), diags)
            else {
                continue;
            };
            let pt = raw_tasks[pi as usize];
            if pt.milestone {
                diags.push(
                    Diagnostic::new(Code::InvalidHierarchy, p.at, format!("`{}` is a milestone and cannot contain tasks", p.v))
                        .label("parent must be a task")
                        .help("a workstream is a task without effort or duration whose children name it as `parent`"),
                );
                continue;
            }
            if pi as usize == i {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidHierarchy,
                        p.at,
                        format!("`{}` is its own parent", t.id.v),
                    )
                    .label("parent of itself"),
                );
                continue;
            }
            parent[i] = Some(TaskIdx(pi));
            children[pi as usize].push(TaskIdx(i as u32));
        }
        // Parent chains must end: report each loop once, at its first task.
        let mut state = vec![0u8; n]; // 0 unknown, 1 on the current chain, 2 fine
        for i in 0..n {
            let mut chain: Vec<usize> = Vec::new();
            let mut cur = Some(i);
            while let Some(c) = cur {
                if state[c] == 2 {
                    break;
                }
                if state[c] == 1 {
                    let start = chain.iter().position(|&x| x == c).unwrap_or(0);
                    let names: Vec<&str> = chain[start..]
                        .iter()
                        .map(|&x| raw_tasks[x].id.v.as_str())
                        .collect();
                    let at = raw_tasks[c]
                        .parent
                        .as_ref()
                        .map_or(raw_tasks[c].id.at, |p| p.at);
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidHierarchy,
                            at,
                            "tasks contain each other through `parent`",
                        )
                        .label(format!(
                            "{} → {}",
                            names.join(" → "),
                            names[0]
                        )),
                    );
                    for &x in &chain[start..] {
                        parent[x] = None;
                    }
                    break;
                }
                state[c] = 1;
                chain.push(c);
                cur = parent[c].map(|p| p.index());
            }
            for &x in &chain {
                state[x] = 2;
            }
        }
        for (i, ch) in children.iter_mut().enumerate() {
            ch.retain(|c| parent[c.index()] == Some(TaskIdx(i as u32)));
        }

        let to_days = |a: &Amount| match a.unit {
            Unit::Days | Unit::ElapsedDays => a.value,
            Unit::Weeks => a.value * days_per_week,
            Unit::ElapsedWeeks => a.value * 7.0,
            Unit::Hours => a.value / hours_per_day,
        };
        let estimate = |e: &S<[Amount; 3]>,
                        diags: &mut Vec<Diagnostic>,
                        what: &str|
         -> Option<Estimate> {
            let [o, l, p] = e.v.each_ref().map(&to_days);
            if !(o <= l && l <= p) {
                diags.push(
                    Diagnostic::new(Code::InvalidValue, e.at, format!("{what} estimates are out of order"))
                        .label(format!("expected optimistic <= likely <= pessimistic, found {o:.2}d/{l:.2}d/{p:.2}d")),
                );
                return None;
            }
            if p > MAX_DAYS {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        e.at,
                        format!("{what} is longer than {} years", MAX_DAYS as i64 / 365),
                    )
                    .label(format!("{p:.0} working days"))
                    .help("check the unit: d is days, w weeks, h hours"),
                );
                return None;
            }
            Some(Estimate {
                optimistic: o,
                likely: l,
                pessimistic: p,
            })
        };

        let resolve_team = |t: &S<String>, context: &str, diags: &mut Vec<Diagnostic>| {
            team_names.resolve(t, context, diags).map(TeamIdx)
        };
        let mut tasks: Vec<Task> = Vec::with_capacity(n);
        for (i, t) in raw_tasks.iter().enumerate() {
            let context = format!(
                "{} `{}`",
                if t.milestone { "milestone" } else { "task" },
                t.id.v
            );
            let is_summary = !children[i].is_empty();
            let kind = if t.milestone {
                TaskKind::Milestone
            } else if is_summary {
                TaskKind::Summary
            } else {
                TaskKind::Leaf
            };
            let work = match (&t.effort, &t.duration) {
                (Some(e), _) => estimate(e, diags, "effort").map(Work::Effort),
                (None, Some(d)) => estimate(d, diags, "duration").map(Work::Duration),
                (None, None) => None,
            };
            if let Some(items) = &t.items {
                if t.effort.is_some() || t.duration.is_some() {
                    diags.push(
                        Diagnostic::new(Code::InvalidValue, items.at, format!("{context} has `items` and its own effort or duration"))
                            .label("keep one of them")
                            .help("`items` forecasts the duration from the team's throughput; `effort` and `duration` estimate it directly"),
                    );
                } else if !(items.v > 0.0 && items.v <= 1e6) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            items.at,
                            format!("`items` of {context} must be positive"),
                        )
                        .label(format!("found {}", items.v)),
                    );
                }
            }
            if kind == TaskKind::Summary {
                if let Some(w) = t.effort.as_ref().or(t.duration.as_ref()) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidHierarchy,
                            w.at,
                            format!("`{}` has child tasks and its own work", t.id.v),
                        )
                        .label("a summary task's dates and work roll up from its children")
                        .help("move this work into a child task"),
                    );
                }
            } else if kind == TaskKind::Leaf && !t.has_work_key {
                diags.push(
                    Diagnostic::new(Code::MissingKey, t.id.at, format!("task `{}` has no `effort` or `duration`", t.id.v))
                        .label("how long does this take?")
                        .help("add `effort = \"5d\"` (person-days), `duration = \"2w\"` (working time), or make it a [[milestone]]"),
                );
            }
            let team = t
                .team
                .as_ref()
                .and_then(|tm| resolve_team(tm, &context, diags));
            let assignees: Vec<PersonIdx> = t
                .assignees
                .iter()
                .filter_map(|a| person_names.resolve(a, &context, diags).map(PersonIdx))
                .collect();
            for (k, a) in assignees.iter().enumerate() {
                if assignees[..k].contains(a) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidAssignment,
                            t.assignees[k].at,
                            format!("`{}` is assigned twice", t.assignees[k].v),
                        )
                        .label("listed twice"),
                    );
                }
            }
            tasks.push(Task {
                id: t.id.v.clone(),
                name: t.name.clone().unwrap_or_else(|| t.id.v.clone()),
                kind,
                parent: parent[i],
                children: children[i].clone(),
                work: if kind == TaskKind::Leaf { work } else { None },
                team,
                assignment: if assignees.is_empty() {
                    Assignment::Unassigned
                } else {
                    Assignment::People(assignees)
                },
                deps: Vec::new(),
                not_before: t
                    .not_before
                    .as_ref()
                    .filter(|d| check_date(d, diags))
                    .map(|d| Located::new(d.v, d.at)),
                deadline: t
                    .deadline
                    .as_ref()
                    .filter(|d| check_date(d, diags))
                    .map(|d| Located::new(d.v, d.at)),
                promised: t
                    .promised
                    .as_ref()
                    .filter(|d| check_date(d, diags))
                    .map(|d| Located::new(d.v, d.at)),
                priority: t.priority.as_ref().map_or(500, |p| p.v as u32),
                tags: t.tags.iter().map(|s| s.v.clone()).collect(),
                goals: t
                    .goals
                    .iter()
                    .filter_map(|g| goal_names.resolve(g, &context, diags).map(GoalIdx))
                    .collect(),
                deliverables: t
                    .deliverables
                    .iter()
                    .filter_map(|d| {
                        deliverable_names
                            .resolve(d, &context, diags)
                            .map(DeliverableIdx)
                    })
                    .collect(),
                uses: t
                    .uses
                    .iter()
                    .filter_map(|(r, units)| {
                        let ri = resource_names.resolve(r, &context, diags)?;
                        let cap = resources[ri as usize].capacity as i64;
                        if units.v > cap {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    units.at,
                                    format!("{context} uses more of `{}` than it has", r.v),
                                )
                                .label(format!("{} units, capacity {cap}", units.v)),
                            );
                            return None;
                        }
                        Some((ResourceIdx(ri), units.v as u32))
                    })
                    .collect(),
                distribution: t
                    .distribution
                    .as_ref()
                    .and_then(|d| distribution(d, Some(pert_shape), diags)),
                fixed_cost: t.cost.as_ref().and_then(|c| money(c, &context, diags)),
                budget: t.budget.as_ref().and_then(|c| money(c, &context, diags)),
                description: t.description.clone(),
                src: t.id.at,
            });
        }

        // Owning team (own, else assignees', else inherited from the parent) and the
        // assignment it implies for effort-driven work without named assignees.
        let order = parents_first(&tasks);
        for &ti in &order {
            let i = ti.index();
            if tasks[i].team.is_none() {
                let from_people = match &tasks[i].assignment {
                    Assignment::People(p) => p.first().and_then(|p| people[p.index()].team),
                    _ => None,
                };
                tasks[i].team =
                    from_people.or_else(|| tasks[i].parent.and_then(|p| tasks[p.index()].team));
            }
            if let Some(items) = raw_tasks[i]
                .items
                .as_ref()
                .filter(|x| x.v > 0.0 && x.v <= 1e6)
                && raw_tasks[i].effort.is_none()
                && raw_tasks[i].duration.is_none()
                && tasks[i].kind == TaskKind::Leaf
            {
                let history = tasks[i].team.map(|tm| &teams[tm.index()].throughput);
                let mean = history
                    .filter(|h| !h.is_empty())
                    .map(|h| h.iter().sum::<f64>() / h.len() as f64)
                    .unwrap_or(0.0);
                if mean <= 0.0 {
                    diags.push(
                        Diagnostic::new(Code::InvalidValue, items.at, format!("`items` of task `{}` needs its team's throughput", tasks[i].id))
                            .label(match tasks[i].team {
                                Some(tm) => format!("team `{}` has no throughput history (or only zeros)", teams[tm.index()].id),
                                None => "the task has no team".to_string(),
                            })
                            .help("give the team its weekly history, e.g. `throughput = [6, 4, 7, 5]` under `[team.ID]`"),
                    );
                } else {
                    let cal = teams_calendar(&teams, &calendars, tasks[i].team, default_calendar);
                    let per_week = cal.workweek.days_per_week().max(1) as f64;
                    let days = (items.v / mean * per_week).ceil();
                    tasks[i].work = Some(Work::Items {
                        count: items.v,
                        duration: Estimate::exact(days),
                    });
                }
                continue;
            }
            let raw = raw_tasks[i];
            if tasks[i].kind == TaskKind::Leaf
                && matches!(tasks[i].assignment, Assignment::Unassigned)
            {
                let explicit = raw.team.is_some();
                if let Some(team) = tasks[i].team
                    && (explicit || matches!(tasks[i].work, Some(Work::Effort(_))))
                {
                    let size = teams[team.index()].members.len() as i64;
                    let wanted = raw.people.as_ref().map_or(1, |p| p.v);
                    if size == 0 {
                        let at = raw.team.as_ref().map_or(raw.id.at, |t| t.at);
                        diags.push(
                            Diagnostic::new(Code::InvalidAssignment, at, format!("task `{}` is assigned to team `{}`, which has no members", raw.id.v, teams[team.index()].id))
                                .label("nobody to do the work")
                                .help("add people with `team = \"...\"`, or assign the task to named people"),
                        );
                    } else if wanted < 1 || wanted > size {
                        if let Some(p) = &raw.people {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidAssignment,
                                    p.at,
                                    format!(
                                        "`people` of task `{}` must be between 1 and the team size",
                                        raw.id.v
                                    ),
                                )
                                .label(format!(
                                    "team `{}` has {size} members, found {}",
                                    teams[team.index()].id,
                                    p.v
                                )),
                            );
                        }
                    } else {
                        tasks[i].assignment = Assignment::Team {
                            team,
                            people: wanted as u32,
                        };
                    }
                }
            }
            if let Some(p) = &raw.people
                && matches!(tasks[i].assignment, Assignment::People(_))
            {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidAssignment,
                        p.at,
                        format!("task `{}` has both `people` and named assignees", raw.id.v),
                    )
                    .label("`people` counts members of a team; the assignees are named")
                    .help("remove `people`, or remove the assignees and keep `team`"),
                );
            } else if let Some(p) = &raw.people
                && !matches!(tasks[i].assignment, Assignment::Team { .. })
                && raw.team.is_none()
            {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidAssignment,
                        p.at,
                        format!("`people` in task `{}` needs a `team`", raw.id.v),
                    )
                    .label("how many of which team?")
                    .help("add `team = \"...\"`, or list the people in `assignees`"),
                );
            }
        }

        // Dependencies.
        for (i, t) in raw_tasks.iter().enumerate() {
            let context = format!("the dependencies of `{}`", t.id.v);
            let mut seen: Vec<TaskIdx> = Vec::new();
            for dep in &t.after {
                let Some(pi) = task_names.resolve(&dep.id, &context, diags) else {
                    continue;
                };
                let pred = TaskIdx(pi);
                if pi as usize == i {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidDependency,
                            dep.id.at,
                            format!("`{}` depends on itself", t.id.v),
                        )
                        .label("a task cannot come after itself"),
                    );
                    continue;
                }
                if seen.contains(&pred) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidDependency,
                            dep.id.at,
                            format!("`{}` is listed twice in {context}", dep.id.v),
                        )
                        .label("duplicate dependency"),
                    );
                    continue;
                }
                seen.push(pred);
                if tasks[i].kind == TaskKind::Summary && dep.kind.to_finish() {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidDependency,
                            dep.at,
                            format!("{} link into summary task `{}`", dep.kind.code(), t.id.v),
                        )
                        .label("a summary's finish is rolled up from its children")
                        .help("link to the child task that must finish, or use FS/SS"),
                    );
                    continue;
                }
                let Some(lag) = lag_of(dep, days_per_week, diags) else {
                    continue;
                };
                tasks[i].deps.push(Dependency {
                    pred,
                    kind: dep.kind,
                    lag,
                    src: dep.at,
                });
            }
        }

        // RAID.
        let mut raid_names = Names::new("RAID entry");
        let mut raid: Vec<&RawRaid> = Vec::new();
        for f in files {
            for r in &f.raid {
                if raid_names.define(&r.id, diags) {
                    raid.push(r);
                }
            }
        }
        let mut risks = Vec::new();
        let mut issues = Vec::new();
        let mut decisions = Vec::new();
        let mut assumptions = Vec::new();
        let mut slot: Vec<RaidLink> = Vec::with_capacity(raid.len());
        for r in &raid {
            slot.push(match r.kind {
                RaidKind::Risk => RaidLink::Risk(
                    slot.iter()
                        .filter(|s| matches!(s, RaidLink::Risk(_)))
                        .count(),
                ),
                RaidKind::Issue => RaidLink::Issue(
                    slot.iter()
                        .filter(|s| matches!(s, RaidLink::Issue(_)))
                        .count(),
                ),
                RaidKind::Decision => RaidLink::Decision(
                    slot.iter()
                        .filter(|s| matches!(s, RaidLink::Decision(_)))
                        .count(),
                ),
                RaidKind::Assumption => RaidLink::Assumption(
                    slot.iter()
                        .filter(|s| matches!(s, RaidLink::Assumption(_)))
                        .count(),
                ),
            });
        }
        for r in &raid {
            let what = match r.kind {
                RaidKind::Risk => "risk",
                RaidKind::Issue => "issue",
                RaidKind::Decision => "decision",
                RaidKind::Assumption => "assumption",
            };
            let context = format!("{what} `{}`", r.id.v);
            let owner = r
                .owner
                .as_ref()
                .and_then(|o| person_names.resolve(o, &context, diags))
                .map(PersonIdx);
            let date = |key: &str, diags: &mut Vec<Diagnostic>| {
                r.dates
                    .iter()
                    .find(|(k, _)| *k == key)
                    .filter(|(_, d)| check_date(d, diags))
                    .map(|(_, d)| d.v)
            };
            let text = |key: &str| {
                r.texts
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, s)| s.clone())
            };
            let mut affects = Vec::new();
            for a in &r.affects {
                if let Some(ti) = task_names.get(&a.v) {
                    affects.push(RaidLink::Task(TaskIdx(ti)));
                } else if let Some(ri) = raid_names.get(&a.v) {
                    affects.push(slot[ri as usize]);
                } else {
                    let candidates = task_names
                        .order
                        .iter()
                        .chain(raid_names.order.iter())
                        .copied();
                    let mut d = Diagnostic::new(
                        Code::UnknownReference,
                        a.at,
                        format!("unknown task or RAID entry `{}` in {context}", a.v),
                    )
                    .label("`affects` names tasks, milestones or other RAID entries");
                    if let Some(s) = did_you_mean(&a.v, candidates) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    diags.push(d);
                }
            }
            let status = r.status.as_ref();
            let title = r
                .title
                .as_ref()
                .map_or_else(|| r.id.v.clone(), |t| t.v.clone());
            match r.kind {
                RaidKind::Risk => {
                    let impact = impact_of(&r.impact, &context, to_days, diags);
                    let mitigated = r
                        .mitigated
                        .as_ref()
                        .map(|m| impact_of(m, &context, to_days, diags));
                    risks.push(Risk {
                        id: r.id.v.clone(),
                        title,
                        kind: choose(
                            r,
                            "kind",
                            &[
                                ("threat", RiskKind::Threat),
                                ("opportunity", RiskKind::Opportunity),
                            ],
                            RiskKind::Threat,
                            diags,
                        ),
                        status: pick(
                            status,
                            &[
                                ("open", RiskStatus::Open),
                                ("occurred", RiskStatus::Occurred),
                                ("closed", RiskStatus::Closed),
                            ],
                            RiskStatus::Open,
                            &context,
                            diags,
                        ),
                        owner,
                        raised: date("raised", diags),
                        impact,
                        mitigated,
                        response: choose_opt(
                            r,
                            "response",
                            &[
                                ("avoid", RiskResponse::Avoid),
                                ("mitigate", RiskResponse::Mitigate),
                                ("transfer", RiskResponse::Transfer),
                                ("accept", RiskResponse::Accept),
                                ("exploit", RiskResponse::Exploit),
                                ("enhance", RiskResponse::Enhance),
                                ("share", RiskResponse::Share),
                            ],
                            diags,
                        ),
                        mitigation: text("mitigation"),
                        mitigation_due: date("mitigation_due", diags),
                        contingency: text("contingency"),
                        trigger: text("trigger"),
                        impact_level: r.impact_level.as_ref().map(|l| l.v),
                        ask: text("ask"),
                        affects,
                        src: r.id.at,
                    });
                }
                RaidKind::Issue => issues.push(Issue {
                    id: r.id.v.clone(),
                    title,
                    severity: choose(
                        r,
                        "severity",
                        &[
                            ("low", Severity::Low),
                            ("medium", Severity::Medium),
                            ("high", Severity::High),
                            ("critical", Severity::Critical),
                        ],
                        Severity::Medium,
                        diags,
                    ),
                    status: pick(
                        status,
                        &[
                            ("open", IssueStatus::Open),
                            ("resolved", IssueStatus::Resolved),
                        ],
                        IssueStatus::Open,
                        &context,
                        diags,
                    ),
                    owner,
                    raised: date("raised", diags),
                    due: date("due", diags),
                    resolution: text("resolution"),
                    ask: text("ask"),
                    affects,
                    src: r.id.at,
                }),
                RaidKind::Decision => decisions.push(Decision {
                    id: r.id.v.clone(),
                    title,
                    status: pick(
                        status,
                        &[
                            ("open", DecisionStatus::Open),
                            ("decided", DecisionStatus::Decided),
                        ],
                        DecisionStatus::Open,
                        &context,
                        diags,
                    ),
                    owner,
                    needed_by: date("needed_by", diags),
                    decided_by: r
                        .decided_by
                        .as_ref()
                        .and_then(|o| person_names.resolve(o, &context, diags))
                        .map(PersonIdx),
                    decided_on: date("decided_on", diags),
                    rationale: text("rationale"),
                    ask: text("ask"),
                    affects,
                    src: r.id.at,
                }),
                RaidKind::Assumption => assumptions.push(Assumption {
                    id: r.id.v.clone(),
                    title,
                    status: pick(
                        status,
                        &[
                            ("open", AssumptionStatus::Open),
                            ("validated", AssumptionStatus::Validated),
                            ("invalid", AssumptionStatus::Invalid),
                        ],
                        AssumptionStatus::Open,
                        &context,
                        diags,
                    ),
                    owner,
                    validate_by: date("validate_by", diags),
                    affects,
                    src: r.id.at,
                }),
            }
        }

        let status_date = pr
            .status_date
            .as_ref()
            .filter(|d| check_date(d, diags))
            .map(|d| d.v);

        // Progress updates: the dated history of each task.
        let mut progress = Vec::new();
        for f in files {
            for u in &f.progress {
                let context = format!("the progress of `{}`", u.task.v);
                let Some(ti) = task_names.resolve(&u.task, "a progress update", diags) else {
                    continue;
                };
                let task = TaskIdx(ti);
                if tasks[task.index()].kind == TaskKind::Summary {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            u.task.at,
                            format!("progress reported on summary task `{}`", u.task.v),
                        )
                        .label("a summary's progress rolls up from its tasks")
                        .help("report progress on the tasks inside it"),
                    );
                    continue;
                }
                if !check_date(&u.date, diags) {
                    continue;
                }
                let status = u.status.as_ref().map(|s| {
                    pick(
                        Some(s),
                        &[
                            ("not_started", TaskStatus::NotStarted),
                            ("in_progress", TaskStatus::InProgress),
                            ("done", TaskStatus::Done),
                        ],
                        TaskStatus::NotStarted,
                        &context,
                        diags,
                    )
                });
                let mut ok = true;
                let mut bad =
                    |at: SourceRef, message: String, label: String, diags: &mut Vec<Diagnostic>| {
                        ok = false;
                        diags.push(Diagnostic::new(Code::InvalidValue, at, message).label(label));
                    };
                for (name, d) in [("started", &u.started), ("finished", &u.finished)] {
                    if let Some(d) = d
                        && d.v > u.date.v
                    {
                        bad(
                            d.at,
                            format!("`{name}` is after the date of the update in {context}"),
                            format!(
                                "{} is after {}: an update reports what happened by its date",
                                d.v, u.date.v
                            ),
                            diags,
                        );
                    }
                }
                if let (Some(s), Some(f)) = (&u.started, &u.finished)
                    && f.v < s.v
                {
                    bad(
                        f.at,
                        format!("`finished` is before `started` in {context}"),
                        format!("{} is before {}", f.v, s.v),
                        diags,
                    );
                }
                match (status, &u.done) {
                    (Some(TaskStatus::Done), Some(d)) if d.v < 1.0 => bad(
                        d.at,
                        format!("{context} is `done` but `done` is below 1"),
                        "a finished task is 100 % complete".into(),
                        diags,
                    ),
                    (Some(TaskStatus::NotStarted), Some(d)) if d.v > 0.0 => bad(
                        d.at,
                        format!("{context} is `not_started` with work done"),
                        "expected 0 for a task not started".into(),
                        diags,
                    ),
                    _ => {}
                }
                if status == Some(TaskStatus::NotStarted)
                    && let Some(st) = &u.started
                {
                    bad(
                        st.at,
                        format!("{context} is `not_started` but has a start date"),
                        "remove `started`, or set `status = \"in_progress\"`".into(),
                        diags,
                    );
                }
                if !ok {
                    continue;
                }
                progress.push(ProgressUpdate {
                    task,
                    date: u.date.v,
                    status,
                    done: u.done.as_ref().map(|d| d.v),
                    remaining: u.remaining.as_ref().map(|r| to_days(&r.v[1])),
                    started: u.started.as_ref().map(|d| d.v),
                    finished: u.finished.as_ref().map(|d| d.v),
                    cost: u.cost.as_ref().and_then(|c| money(c, &context, diags)),
                    by: u
                        .by
                        .as_ref()
                        .and_then(|p| person_names.resolve(p, &context, diags))
                        .map(PersonIdx),
                    note: u.note.clone(),
                    src: u.at,
                });
            }
        }
        progress.sort_by_key(|u| (u.task, u.date));
        for w in progress.windows(2) {
            if w[0].task == w[1].task && w[0].date == w[1].date {
                diags.push(
                    Diagnostic::new(Code::InvalidValue, w[1].src, format!("two progress updates for `{}` on {}", tasks[w[1].task.index()].id, w[1].date))
                        .label("second update on the same date")
                        .also(w[0].src, "first update")
                        .help("merge them into one update: the history keeps one report per task and date"),
                );
            }
        }

        // Baselines.
        let mut baselines = Vec::new();
        for f in files {
            for b in &f.baselines {
                let mut seen: HashMap<&str, SourceRef> = HashMap::new();
                let mut entries = Vec::with_capacity(b.tasks.len());
                for bt in &b.tasks {
                    if let Some(first) = seen.insert(bt.id.v.as_str(), bt.id.at) {
                        diags.push(
                            Diagnostic::new(
                                Code::DuplicateId,
                                bt.id.at,
                                format!("`{}` appears twice in baseline `{}`", bt.id.v, b.name.v),
                            )
                            .label("listed again here")
                            .also(first, "first listed here"),
                        );
                        continue;
                    }
                    entries.push(BaselineTask {
                        id: bt.id.v.clone(),
                        task: task_names.get(&bt.id.v).map(TaskIdx),
                        start: bt.start.v,
                        finish: bt.finish.v,
                        work: bt.work.as_ref().map_or(0.0, |w| to_days(&w.v[1])),
                        cost: bt
                            .cost
                            .as_ref()
                            .and_then(|c| money(c, "a baseline", diags))
                            .unwrap_or(Money::ZERO),
                    });
                }
                baselines.push(Baseline {
                    name: b.name.v.clone(),
                    saved: b.saved.as_ref().map(|d| d.v),
                    tasks: entries,
                    src: b.name.at,
                });
            }
        }
        let scenarios = self.scenarios(
            &task_names,
            &team_names,
            &raid_names,
            &risks,
            to_days,
            diags,
        );
        let reporting =
            self.reporting(start, &task_names, &person_names, &raid_names, &slot, diags);
        let budget = pr
            .budget
            .as_ref()
            .and_then(|m| money(m, "`[program]`", diags));
        let reserve = pr
            .reserve
            .as_ref()
            .and_then(|m| money(m, "`[program]`", diags));

        Some(Program {
            name: pr.name.as_ref().map_or_else(String::new, |n| n.v.clone()),
            description: pr.description.clone(),
            start,
            currency: pr
                .currency
                .as_ref()
                .map_or_else(|| "USD".to_string(), |c| c.v.clone()),
            status_date,
            default_calendar,
            calendars,
            teams,
            people,
            resources,
            tasks,
            goals,
            deliverables,
            risks,
            issues,
            decisions,
            assumptions,
            budget,
            reserve,
            progress,
            baselines,
            forecast,
            scenarios,
            reporting,
        })
    }
}

/// `"pert"` (with an optional shape) or `"triangular"`.
fn distribution(
    d: &S<String>,
    shape: Option<f64>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Distribution> {
    match d.v.trim().to_ascii_lowercase().as_str() {
        "pert" | "beta-pert" => Some(Distribution::Pert {
            shape: shape.unwrap_or(4.0),
        }),
        "triangular" => Some(Distribution::Triangular),
        other => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    d.at,
                    format!("unknown distribution \"{other}\""),
                )
                .label("expected \"pert\" (beta-PERT) or \"triangular\""),
            );
            None
        }
    }
}

fn forecast_settings(files: &[RawFile], diags: &mut Vec<Diagnostic>) -> ForecastSettings {
    let mut settings = ForecastSettings::default();
    let mut seen: Option<SourceRef> = None;
    for f in files {
        let Some(raw) = &f.forecast else { continue };
        if let Some(first) = seen {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    raw.at,
                    "`[forecast]` is set in two files",
                )
                .label("second `[forecast]`")
                .also(first, "first `[forecast]`"),
            );
            continue;
        }
        seen = Some(raw.at);
        if let Some(s) = &raw.pert_shape
            && !(0.0..=100.0).contains(&s.v)
        {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    s.at,
                    "`pert_shape` must be between 0 and 100",
                )
                .label(format!("found {} (4 is the classic PERT)", s.v)),
            );
        }
        let shape = raw
            .pert_shape
            .as_ref()
            .filter(|s| (0.0..=100.0).contains(&s.v))
            .map(|s| s.v);
        settings.distribution = match &raw.distribution {
            Some(d) => distribution(d, shape, diags).unwrap_or(settings.distribution),
            None => Distribution::Pert {
                shape: shape.unwrap_or(4.0),
            },
        };
        if let Some(c) = &raw.correlation {
            if (0.0..=1.0).contains(&c.v) {
                settings.correlation = c.v;
            } else {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        c.at,
                        "`correlation` must be between 0 and 1",
                    )
                    .label(format!("found {}", c.v)),
                );
            }
        }
        if let Some(n) = &raw.iterations {
            if (1..=10_000_000).contains(&n.v) {
                settings.iterations = Some(n.v as u32);
            } else {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        n.at,
                        "`iterations` must be between 1 and 10,000,000",
                    )
                    .label(format!("found {}", n.v)),
                );
            }
        }
        if let Some(sd) = &raw.seed {
            settings.seed = Some(sd.v as u64);
        }
    }
    settings
}

/// A money amount from the plan; negative amounts are rejected.
fn money(m: &S<f64>, context: &str, diags: &mut Vec<Diagnostic>) -> Option<Money> {
    if m.v < 0.0 {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                m.at,
                format!("negative amount in {context}"),
            )
            .label(format!("found {}", m.v)),
        );
        return None;
    }
    Money::from_units(m.v)
}

impl Resolver<'_> {
    #[allow(clippy::too_many_arguments)]
    fn scenarios(
        &self,
        tasks: &Names<'_>,
        teams: &Names<'_>,
        raid: &Names<'_>,
        risks: &[Risk],
        to_days: impl Fn(&Amount) -> f64,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Scenario> {
        let mut out = Vec::new();
        for f in self.files {
            for sc in &f.scenarios {
                let context = format!("scenario `{}`", sc.name.v);
                let remove = sc
                    .remove
                    .iter()
                    .filter_map(|t| tasks.resolve(t, &context, diags).map(TaskIdx))
                    .collect();
                let mitigate = sc
                    .mitigate
                    .iter()
                    .filter_map(|r| {
                        raid.resolve(r, &context, diags)?;
                        let i = risks.iter().position(|x| x.id == r.v);
                        if i.is_none() {
                            diags.push(
                                Diagnostic::new(
                                    Code::UnknownReference,
                                    r.at,
                                    format!("`{}` in {context} is not a risk", r.v),
                                )
                                .label("`mitigate` names risks"),
                            );
                        }
                        i
                    })
                    .collect();
                let estimates = sc
                    .estimates
                    .iter()
                    .filter_map(|(t, e)| {
                        let ti = tasks.resolve(t, &context, diags)?;
                        let [o, l, p] = e.v.each_ref().map(&to_days);
                        if o <= l && l <= p && p <= MAX_DAYS {
                            Some((
                                TaskIdx(ti),
                                Estimate {
                                    optimistic: o,
                                    likely: l,
                                    pessimistic: p,
                                },
                            ))
                        } else {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    e.at,
                                    format!("invalid estimate for `{}` in {context}", t.v),
                                )
                                .label(
                                    "expected optimistic <= likely <= pessimistic, under 100 years",
                                ),
                            );
                            None
                        }
                    })
                    .collect();
                let add_people = sc
                    .add_people
                    .iter()
                    .filter_map(|(t, n)| {
                        teams
                            .resolve(t, &context, diags)
                            .map(|i| (TeamIdx(i), n.v as u32))
                    })
                    .collect();
                out.push(Scenario {
                    name: sc.name.v.clone(),
                    description: sc.description.clone(),
                    start: sc.start.as_ref().map(|d| d.v),
                    remove,
                    mitigate,
                    estimates,
                    add_people,
                    src: sc.name.at,
                });
            }
        }
        out
    }
}

fn lag_of(dep: &RawDep, days_per_week: f64, diags: &mut Vec<Diagnostic>) -> Option<Lag> {
    let Some(l) = &dep.lag else {
        return Some(Lag::default());
    };
    let (sign, amount) = l.v;
    let (days, elapsed) = match amount.unit {
        Unit::Days => (amount.value, false),
        Unit::Weeks => (amount.value * days_per_week, false),
        Unit::ElapsedDays => (amount.value, true),
        Unit::ElapsedWeeks => (amount.value * 7.0, true),
        Unit::Hours => {
            diags.push(
                Diagnostic::new(Code::InvalidDependency, l.at, "lags are whole days")
                    .label("found a lag in hours")
                    .help("Tiller schedules in whole days: write the lag in d (working days) or ed (calendar days)"),
            );
            return None;
        }
    };
    if days.fract() != 0.0 || days > MAX_DAYS {
        diags.push(
            Diagnostic::new(Code::InvalidDependency, l.at, "lags are whole days")
                .label(format!("this lag is {days} days"))
                .help("Tiller schedules in whole days: round the lag to a whole number of days"),
        );
        return None;
    }
    Some(Lag {
        days: sign as i32 * days as i32,
        elapsed,
    })
}

fn impact_of(
    raw: &RawImpact,
    context: &str,
    to_days: impl Fn(&Amount) -> f64,
    diags: &mut Vec<Diagnostic>,
) -> RiskImpact {
    let delay = raw.delay.as_ref().and_then(|d| {
        let [o, l, p] = d.v.each_ref().map(&to_days);
        if o <= l && l <= p && p <= MAX_DAYS {
            Some(Estimate {
                optimistic: o,
                likely: l,
                pessimistic: p,
            })
        } else {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    d.at,
                    format!("invalid `delay` in {context}"),
                )
                .label("expected optimistic <= likely <= pessimistic, under 100 years"),
            );
            None
        }
    });
    RiskImpact {
        probability: raw.probability.as_ref().map_or(0.0, |p| p.v),
        delay,
        cost: raw.cost.as_ref().and_then(|c| Money::from_units(c.v)),
    }
}

fn pick<T: Copy>(
    value: Option<&S<String>>,
    options: &[(&str, T)],
    default: T,
    context: &str,
    diags: &mut Vec<Diagnostic>,
) -> T {
    let Some(v) = value else { return default };
    match options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(v.v.trim()))
    {
        Some((_, t)) => *t,
        None => {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    v.at,
                    format!("unknown status \"{}\" in {context}", v.v),
                )
                .label(format!("expected one of: {}", names.join(", "))),
            );
            default
        }
    }
}

fn choose_opt<T: Copy>(
    r: &RawRaid,
    key: &str,
    options: &[(&str, T)],
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let (_, v) = r.choice.iter().find(|(k, _)| *k == key)?;
    match options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(v.v.trim()))
    {
        Some((_, t)) => Some(*t),
        None => {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    v.at,
                    format!("unknown {key} \"{}\" in `{}`", v.v, r.id.v),
                )
                .label(format!("expected one of: {}", names.join(", "))),
            );
            None
        }
    }
}

fn choose<T: Copy>(
    r: &RawRaid,
    key: &str,
    options: &[(&str, T)],
    default: T,
    diags: &mut Vec<Diagnostic>,
) -> T {
    choose_opt(r, key, options, diags).unwrap_or(default)
}

fn teams_calendar<'c>(
    teams: &[Team],
    calendars: &'c [Calendar],
    team: Option<TeamIdx>,
    default: CalendarIdx,
) -> &'c Calendar {
    let idx = team
        .and_then(|t| teams[t.index()].calendar)
        .unwrap_or(default);
    &calendars[idx.index()]
}

/// Task indices ordered so that every parent comes before its children.
fn parents_first(tasks: &[Task]) -> Vec<TaskIdx> {
    let mut order = Vec::with_capacity(tasks.len());
    let mut stack: Vec<TaskIdx> = (0..tasks.len() as u32)
        .rev()
        .map(TaskIdx)
        .filter(|t| tasks[t.index()].parent.is_none())
        .collect();
    while let Some(t) = stack.pop() {
        order.push(t);
        for c in tasks[t.index()].children.iter().rev() {
            stack.push(*c);
        }
    }
    order
}

/// Reports a date more than [`MAX_YEARS`] from the program start.
fn near_start(start: NaiveDate, d: &S<NaiveDate>, diags: &mut Vec<Diagnostic>) -> bool {
    if (d.v - start).num_days().abs() / 365 > MAX_YEARS {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                d.at,
                format!(
                    "{} is more than {MAX_YEARS} years from the program start ({start})",
                    d.v
                ),
            )
            .label("is the year right?"),
        );
        return false;
    }
    true
}

/// A value from a fixed list, matched without regard to case; unknown values are
/// reported.
fn one_of<T: Copy>(
    v: &S<String>,
    what: &str,
    options: &[(&str, T)],
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let key = v.v.trim().to_ascii_lowercase();
    if let Some((_, t)) = options.iter().find(|(name, _)| *name == key) {
        return Some(*t);
    }
    let mut names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    names.dedup();
    diags.push(
        Diagnostic::new(
            Code::InvalidValue,
            v.at,
            format!("unknown {what} \"{}\"", v.v),
        )
        .label(format!("expected one of: {}", names.join(", "))),
    );
    None
}

const RAG_NAMES: &[(&str, tiller_core::Rag)] = &[
    ("green", tiller_core::Rag::Green),
    ("amber", tiller_core::Rag::Amber),
    ("yellow", tiller_core::Rag::Amber),
    ("red", tiller_core::Rag::Red),
];

const LEVEL_NAMES: &[(&str, tiller_core::Level)] = &[
    ("low", tiller_core::Level::Low),
    ("medium", tiller_core::Level::Medium),
    ("high", tiller_core::Level::High),
];

/// Threshold pairs that must be ordered: (amber key, red key, whether lower is worse).
const THRESHOLD_PAIRS: &[(&str, &str, bool)] = &[
    ("amber_probability", "red_probability", true),
    ("amber_slip_days", "red_slip_days", false),
    ("amber_spi_t", "red_spi_t", true),
    ("amber_cpi", "red_cpi", true),
    ("amber_overrun", "red_overrun", false),
    ("amber_scope_growth", "red_scope_growth", false),
    ("amber_load", "red_load", false),
];

impl Resolver<'_> {
    /// `[health]`, `[lint]`, stakeholders, lessons and the report history.
    fn reporting(
        &self,
        start: NaiveDate,
        tasks: &Names<'_>,
        people: &Names<'_>,
        raid: &Names<'_>,
        raid_slots: &[RaidLink],
        diags: &mut Vec<Diagnostic>,
    ) -> tiller_core::Reporting {
        let mut out = tiller_core::Reporting::default();

        // Thresholds: one `[health]` and one `[lint]` per program.
        let mut seen: [Option<SourceRef>; 2] = [None, None];
        for f in self.files {
            for (slot, table, name) in [(0, &f.health, "health"), (1, &f.lint, "lint")] {
                let Some(t) = table else { continue };
                if let Some(first) = seen[slot] {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            t.at,
                            format!("`[{name}]` is set in two files"),
                        )
                        .label(format!("second `[{name}]`"))
                        .also(first, format!("first `[{name}]`")),
                    );
                    continue;
                }
                seen[slot] = Some(t.at);
                let values: Vec<(String, f64)> =
                    t.values.iter().map(|(k, v)| (k.to_string(), v.v)).collect();
                if slot == 0 {
                    for (amber, red, lower_worse) in THRESHOLD_PAIRS {
                        let a = t.values.iter().find(|(k, _)| k == amber);
                        let r = t.values.iter().find(|(k, _)| k == red);
                        if let (Some((_, a)), Some((_, r))) = (a, r) {
                            let wrong = if *lower_worse { r.v > a.v } else { r.v < a.v };
                            if wrong {
                                diags.push(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        r.at,
                                        format!("`{red}` is on the wrong side of `{amber}`"),
                                    )
                                    .label(format!(
                                        "red must be {} than amber ({})",
                                        if *lower_worse { "at most" } else { "at least" },
                                        a.v
                                    ))
                                    .also(a.at, "amber threshold"),
                                );
                            }
                        }
                    }
                    out.health = values;
                } else {
                    out.lint = values;
                    for sk in &t.skip {
                        if tiller_core::LINT_CHECKS.contains(&sk.v.as_str()) {
                            out.lint_skip.push(sk.v.clone());
                        } else {
                            let mut d = Diagnostic::new(
                                Code::InvalidValue,
                                sk.at,
                                format!("unknown lint check \"{}\" in `skip`", sk.v),
                            )
                            .label("no check has this name");
                            d = match did_you_mean(&sk.v, tiller_core::LINT_CHECKS.iter().copied())
                            {
                                Some(s) => d.help(format!("did you mean `{s}`?")),
                                None => d.help(format!(
                                    "the checks are: {}",
                                    tiller_core::LINT_CHECKS.join(", ")
                                )),
                            };
                            diags.push(d);
                        }
                    }
                }
            }
        }

        // Stakeholders.
        let mut names = Names::new("stakeholder");
        for f in self.files {
            for st in &f.stakeholders {
                if !names.define(&st.id, diags) {
                    continue;
                }
                let context = format!("stakeholder `{}`", st.id.v);
                let raci = |i: usize, diags: &mut Vec<Diagnostic>| -> Vec<TaskIdx> {
                    st.raci[i]
                        .iter()
                        .filter_map(|t| tasks.resolve(t, &context, diags).map(TaskIdx))
                        .collect()
                };
                let (responsible, accountable, consulted, informed) = (
                    raci(0, diags),
                    raci(1, diags),
                    raci(2, diags),
                    raci(3, diags),
                );
                out.stakeholders.push(tiller_core::Stakeholder {
                    id: st.id.v.clone(),
                    name: st.name.clone(),
                    person: st
                        .person
                        .as_ref()
                        .and_then(|p| people.resolve(p, &context, diags))
                        .map(PersonIdx),
                    role: st.role.clone(),
                    interest: st
                        .interest
                        .as_ref()
                        .and_then(|v| one_of(v, "interest", LEVEL_NAMES, diags)),
                    influence: st
                        .influence
                        .as_ref()
                        .and_then(|v| one_of(v, "influence", LEVEL_NAMES, diags)),
                    audience: st
                        .audience
                        .as_ref()
                        .and_then(|v| {
                            one_of(
                                v,
                                "audience",
                                &[
                                    ("exec", tiller_core::Audience::Exec),
                                    ("team", tiller_core::Audience::Team),
                                ],
                                diags,
                            )
                        })
                        .unwrap_or(tiller_core::Audience::Team),
                    cadence: st.cadence.as_ref().and_then(|v| {
                        let options: Vec<(&str, tiller_core::Cadence)> = tiller_core::Cadence::ALL
                            .iter()
                            .map(|c| (c.key(), *c))
                            .collect();
                        one_of(v, "cadence", &options, diags)
                    }),
                    channel: st.channel.clone(),
                    responsible,
                    accountable,
                    consulted,
                    informed,
                    src: st.id.at,
                });
            }
        }

        // Lessons learned.
        let mut names = Names::new("lesson");
        for f in self.files {
            for l in &f.lessons {
                if !names.define(&l.id, diags) {
                    continue;
                }
                let context = format!("lesson `{}`", l.id.v);
                let mut affects = Vec::new();
                for a in &l.affects {
                    if let Some(ti) = tasks.get(&a.v) {
                        affects.push(RaidLink::Task(TaskIdx(ti)));
                    } else if let Some(ri) = raid.get(&a.v) {
                        affects.push(raid_slots[ri as usize]);
                    } else {
                        let candidates = tasks.order.iter().chain(raid.order.iter()).copied();
                        let mut d = Diagnostic::new(
                            Code::UnknownReference,
                            a.at,
                            format!("unknown task or RAID entry `{}` in {context}", a.v),
                        )
                        .label("`affects` names tasks, milestones or RAID entries");
                        if let Some(s) = did_you_mean(&a.v, candidates) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        diags.push(d);
                    }
                }
                out.lessons.push(tiller_core::Lesson {
                    id: l.id.v.clone(),
                    title: l
                        .title
                        .as_ref()
                        .map_or_else(|| l.id.v.clone(), |t| t.v.clone()),
                    category: l.category.clone(),
                    description: l.description.clone(),
                    recommendation: l.recommendation.clone(),
                    owner: l
                        .owner
                        .as_ref()
                        .and_then(|o| people.resolve(o, &context, diags))
                        .map(PersonIdx),
                    raised: l
                        .raised
                        .as_ref()
                        .filter(|d| near_start(start, d, diags))
                        .map(|d| d.v),
                    affects,
                    src: l.id.at,
                });
            }
        }

        // The history of issued reports: one per date.
        let mut by_date: HashMap<NaiveDate, SourceRef> = HashMap::new();
        for f in self.files {
            for r in &f.reports {
                if !near_start(start, &r.date, diags) {
                    continue;
                }
                if let Some(first) = by_date.get(&r.date.v) {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            r.date.at,
                            format!("two reports dated {}", r.date.v),
                        )
                        .label("reported again here")
                        .also(*first, "first report of that date"),
                    );
                    continue;
                }
                by_date.insert(r.date.v, r.date.at);
                let overall = r
                    .overall
                    .as_ref()
                    .and_then(|v| one_of(v, "colour", RAG_NAMES, diags));
                let dimensions = r
                    .dimensions
                    .iter()
                    .filter_map(|(k, v)| {
                        let dim = tiller_core::HealthDimension::parse(k)?;
                        Some((dim, one_of(v, "colour", RAG_NAMES, diags)?))
                    })
                    .collect();
                let forecasts = r
                    .forecasts
                    .iter()
                    .map(|fr| {
                        let date = |d: &Option<S<NaiveDate>>, diags: &mut Vec<Diagnostic>| {
                            d.as_ref()
                                .filter(|d| near_start(start, d, diags))
                                .map(|d| d.v)
                        };
                        tiller_core::ForecastRecord {
                            id: fr.id.v.clone(),
                            p50: date(&fr.p50, diags),
                            p80: date(&fr.p80, diags),
                            probability: fr.probability.as_ref().map(|p| p.v),
                        }
                    })
                    .collect();
                out.history.push(tiller_core::ReportRecord {
                    date: r.date.v,
                    overall,
                    dimensions,
                    forecasts,
                    note: r.note.clone(),
                    src: r.at,
                });
            }
        }
        out.history.sort_by_key(|r| r.date);
        out
    }
}
