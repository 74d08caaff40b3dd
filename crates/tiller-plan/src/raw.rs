//! First stage: each plan file read into raw records that keep every span; references
//! stay as written (strings) until [`crate::resolve`] links them.

use chrono::NaiveDate;
use tiller_core::{DateRange, DepKind, SourceRef, WorkWeek};
use toml::de::DeValue;

use crate::diagnostic::{Code, Diagnostic};
use crate::reader::{Ctx, S, Tbl, Val, date_value, type_name};
use crate::values::{self, Amount, DURATION_HELP, RatePer};

pub(crate) const TOP_KEYS: &[&str] = &[
    "program",
    "include",
    "defaults",
    "calendar",
    "team",
    "person",
    "resource",
    "task",
    "milestone",
    "goal",
    "deliverable",
    "risk",
    "issue",
    "decision",
    "assumption",
    "progress",
    "baseline",
    "forecast",
    "scenario",
    "health",
    "lint",
    "stakeholder",
    "lesson",
    "report",
];
/// Keys of `[health]`: every threshold of the health rules.
pub(crate) const HEALTH_KEYS: &[&str] = tiller_core::HEALTH_KEYS;
/// Keys of `[lint]`: the thresholds of the schedule checks, and `skip`.
pub(crate) fn lint_keys() -> Vec<&'static str> {
    let mut keys = tiller_core::LINT_KEYS.to_vec();
    keys.push("skip");
    keys
}
pub(crate) const STAKEHOLDER_KEYS: &[&str] = &[
    "name",
    "person",
    "role",
    "interest",
    "influence",
    "audience",
    "cadence",
    "channel",
    "responsible",
    "accountable",
    "consulted",
    "informed",
];
pub(crate) const LESSON_KEYS: &[&str] = &[
    "id",
    "title",
    "category",
    "description",
    "recommendation",
    "owner",
    "raised",
    "affects",
];
pub(crate) const REPORT_KEYS: &[&str] = &[
    "date",
    "overall",
    "schedule",
    "budget",
    "scope",
    "risk",
    "resources",
    "forecast",
    "note",
];
pub(crate) const REPORT_FORECAST_KEYS: &[&str] = &["id", "p50", "p80", "probability"];
pub(crate) const SCENARIO_KEYS: &[&str] = &[
    "description",
    "start",
    "remove",
    "mitigate",
    "estimates",
    "add_people",
];
pub(crate) const FORECAST_KEYS: &[&str] = &[
    "distribution",
    "pert_shape",
    "correlation",
    "iterations",
    "seed",
];
pub(crate) const PROGRESS_KEYS: &[&str] = &[
    "task",
    "date",
    "status",
    "done",
    "remaining",
    "started",
    "finished",
    "cost",
    "by",
    "note",
];
pub(crate) const BASELINE_KEYS: &[&str] = &["saved", "tasks"];
pub(crate) const BASELINE_TASK_KEYS: &[&str] = &["id", "start", "finish", "work", "cost"];
pub(crate) const PROGRAM_KEYS: &[&str] = &[
    "name",
    "start",
    "currency",
    "status_date",
    "calendar",
    "description",
    "budget",
    "reserve",
];
pub(crate) const DEFAULTS_KEYS: &[&str] = &["team", "parent"];
pub(crate) const CALENDAR_KEYS: &[&str] =
    &["name", "based_on", "workweek", "hours_per_day", "holidays"];
pub(crate) const TEAM_KEYS: &[&str] = &["name", "lead", "members", "calendar", "throughput"];
pub(crate) const PERSON_KEYS: &[&str] = &[
    "name",
    "email",
    "team",
    "calendar",
    "availability",
    "off",
    "rate",
];
pub(crate) const RESOURCE_KEYS: &[&str] = &["name", "capacity", "calendar"];
pub(crate) const TASK_KEYS: &[&str] = &[
    "id",
    "name",
    "parent",
    "team",
    "assignee",
    "assignees",
    "people",
    "effort",
    "duration",
    "items",
    "after",
    "not_before",
    "deadline",
    "priority",
    "tags",
    "goals",
    "deliverables",
    "uses",
    "cost",
    "budget",
    "distribution",
    "description",
];
pub(crate) const MILESTONE_KEYS: &[&str] = &[
    "id",
    "name",
    "parent",
    "team",
    "after",
    "not_before",
    "promised",
    "deadline",
    "priority",
    "tags",
    "goals",
    "deliverables",
    "description",
];
pub(crate) const DEP_KEYS: &[&str] = &["task", "type", "lag"];
pub(crate) const GOAL_KEYS: &[&str] = &["id", "name", "description", "owner"];
pub(crate) const DELIVERABLE_KEYS: &[&str] = &["id", "name", "goal", "due", "owner"];
pub(crate) const RISK_KEYS: &[&str] = &[
    "id",
    "title",
    "kind",
    "status",
    "owner",
    "raised",
    "probability",
    "delay",
    "cost",
    "mitigated",
    "response",
    "mitigation",
    "mitigation_due",
    "contingency",
    "trigger",
    "impact",
    "ask",
    "affects",
];
pub(crate) const MITIGATED_KEYS: &[&str] = &["probability", "delay", "cost"];
pub(crate) const ISSUE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "status",
    "owner",
    "raised",
    "due",
    "resolution",
    "ask",
    "affects",
];
pub(crate) const DECISION_KEYS: &[&str] = &[
    "id",
    "title",
    "status",
    "owner",
    "needed_by",
    "decided_by",
    "decided_on",
    "rationale",
    "ask",
    "affects",
];
pub(crate) const ASSUMPTION_KEYS: &[&str] =
    &["id", "title", "status", "owner", "validate_by", "affects"];

#[derive(Debug, Default)]
pub(crate) struct RawProgram {
    pub name: Option<S<String>>,
    pub start: Option<S<NaiveDate>>,
    pub currency: Option<S<String>>,
    pub status_date: Option<S<NaiveDate>>,
    pub calendar: Option<S<String>>,
    pub description: Option<String>,
    pub budget: Option<S<f64>>,
    pub reserve: Option<S<f64>>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawCalendar {
    pub id: S<String>,
    pub name: Option<String>,
    pub based_on: Option<S<String>>,
    pub workweek: Option<S<WorkWeek>>,
    pub hours_per_day: Option<S<f64>>,
    pub holidays: Vec<S<DateRange>>,
}

#[derive(Debug)]
pub(crate) struct RawTeam {
    pub id: S<String>,
    pub name: Option<String>,
    pub lead: Option<S<String>>,
    pub members: Vec<S<String>>,
    pub calendar: Option<S<String>>,
    pub throughput: Option<S<Vec<f64>>>,
}

#[derive(Debug)]
pub(crate) struct RawPerson {
    pub id: S<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub team: Option<S<String>>,
    pub calendar: Option<S<String>>,
    pub availability: Option<S<f64>>,
    pub off: Vec<S<DateRange>>,
    pub rate: Option<S<(f64, RatePer)>>,
}

#[derive(Debug)]
pub(crate) struct RawResource {
    pub id: S<String>,
    pub name: Option<String>,
    pub capacity: Option<S<i64>>,
    pub calendar: Option<S<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawDep {
    pub id: S<String>,
    pub kind: DepKind,
    pub lag: Option<S<(i8, Amount)>>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawTask {
    pub milestone: bool,
    pub id: S<String>,
    pub name: Option<String>,
    pub parent: Option<S<String>>,
    pub team: Option<S<String>>,
    pub assignees: Vec<S<String>>,
    pub people: Option<S<i64>>,
    pub effort: Option<S<[Amount; 3]>>,
    pub duration: Option<S<[Amount; 3]>>,
    pub items: Option<S<f64>>,
    /// Whether `effort`, `duration` or `items` was written at all (even if invalid).
    pub has_work_key: bool,
    pub after: Vec<RawDep>,
    pub not_before: Option<S<NaiveDate>>,
    pub deadline: Option<S<NaiveDate>>,
    pub promised: Option<S<NaiveDate>>,
    pub priority: Option<S<i64>>,
    pub tags: Vec<S<String>>,
    pub goals: Vec<S<String>>,
    pub deliverables: Vec<S<String>>,
    pub uses: Vec<(S<String>, S<i64>)>,
    pub cost: Option<S<f64>>,
    pub budget: Option<S<f64>>,
    pub distribution: Option<S<String>>,
    pub description: Option<String>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawGoal {
    pub id: S<String>,
    pub name: Option<S<String>>,
    pub description: Option<String>,
    pub owner: Option<S<String>>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawDeliverable {
    pub id: S<String>,
    pub name: Option<S<String>>,
    pub goal: Option<S<String>>,
    pub due: Option<S<NaiveDate>>,
    pub owner: Option<S<String>>,
    pub at: SourceRef,
}

#[derive(Debug, Default)]
pub(crate) struct RawImpact {
    pub probability: Option<S<f64>>,
    pub delay: Option<S<[Amount; 3]>>,
    pub cost: Option<S<f64>>,
}

/// A RAID entry; which fields apply depends on `kind`.
#[derive(Debug)]
pub(crate) struct RawRaid {
    pub kind: RaidKind,
    pub id: S<String>,
    pub title: Option<S<String>>,
    pub status: Option<S<String>>,
    pub owner: Option<S<String>>,
    pub dates: Vec<(&'static str, S<NaiveDate>)>,
    pub texts: Vec<(&'static str, String)>,
    pub choice: Vec<(&'static str, S<String>)>,
    pub impact: RawImpact,
    pub mitigated: Option<RawImpact>,
    pub decided_by: Option<S<String>>,
    /// A risk's `impact` on the 1-5 scale.
    pub impact_level: Option<S<u8>>,
    pub affects: Vec<S<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RaidKind {
    Risk,
    Issue,
    Decision,
    Assumption,
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub(crate) struct RawFile {
    pub program: Option<RawProgram>,
    pub includes: Vec<S<String>>,
    pub calendars: Vec<RawCalendar>,
    pub teams: Vec<RawTeam>,
    pub people: Vec<RawPerson>,
    pub resources: Vec<RawResource>,
    pub tasks: Vec<RawTask>,
    pub goals: Vec<RawGoal>,
    pub deliverables: Vec<RawDeliverable>,
    pub raid: Vec<RawRaid>,
    pub progress: Vec<RawProgress>,
    pub baselines: Vec<RawBaseline>,
    pub forecast: Option<RawForecast>,
    pub scenarios: Vec<RawScenario>,
    pub health: Option<RawThresholds>,
    pub lint: Option<RawThresholds>,
    pub stakeholders: Vec<RawStakeholder>,
    pub lessons: Vec<RawLesson>,
    pub reports: Vec<RawReport>,
}

/// `[health]` or `[lint]`: numeric thresholds by key (and, for `[lint]`, `skip`).
#[derive(Debug)]
pub(crate) struct RawThresholds {
    pub values: Vec<(&'static str, S<f64>)>,
    pub skip: Vec<S<String>>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawStakeholder {
    pub id: S<String>,
    pub name: Option<String>,
    pub person: Option<S<String>>,
    pub role: Option<String>,
    pub interest: Option<S<String>>,
    pub influence: Option<S<String>>,
    pub audience: Option<S<String>>,
    pub cadence: Option<S<String>>,
    pub channel: Option<String>,
    /// Responsible, accountable, consulted, informed.
    pub raci: [Vec<S<String>>; 4],
}

#[derive(Debug)]
pub(crate) struct RawLesson {
    pub id: S<String>,
    pub title: Option<S<String>>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub recommendation: Option<String>,
    pub owner: Option<S<String>>,
    pub raised: Option<S<NaiveDate>>,
    pub affects: Vec<S<String>>,
}

#[derive(Debug)]
pub(crate) struct RawReport {
    pub date: S<NaiveDate>,
    pub overall: Option<S<String>>,
    /// Colours per dimension, by key (`schedule`, `budget`, ...).
    pub dimensions: Vec<(&'static str, S<String>)>,
    pub forecasts: Vec<RawForecastRecord>,
    pub note: Option<String>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawForecastRecord {
    pub id: S<String>,
    pub p50: Option<S<NaiveDate>>,
    pub p80: Option<S<NaiveDate>>,
    pub probability: Option<S<f64>>,
}

#[derive(Debug)]
pub(crate) struct RawScenario {
    pub name: S<String>,
    pub description: Option<String>,
    pub start: Option<S<NaiveDate>>,
    pub remove: Vec<S<String>>,
    pub mitigate: Vec<S<String>>,
    pub estimates: Vec<(S<String>, S<[Amount; 3]>)>,
    pub add_people: Vec<(S<String>, S<i64>)>,
}

#[derive(Debug)]
pub(crate) struct RawForecast {
    pub distribution: Option<S<String>>,
    pub pert_shape: Option<S<f64>>,
    pub correlation: Option<S<f64>>,
    pub iterations: Option<S<i64>>,
    pub seed: Option<S<i64>>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawProgress {
    pub task: S<String>,
    pub date: S<NaiveDate>,
    pub status: Option<S<String>>,
    pub done: Option<S<f64>>,
    pub remaining: Option<S<[Amount; 3]>>,
    pub started: Option<S<NaiveDate>>,
    pub finished: Option<S<NaiveDate>>,
    pub cost: Option<S<f64>>,
    pub by: Option<S<String>>,
    pub note: Option<String>,
    pub at: SourceRef,
}

#[derive(Debug)]
pub(crate) struct RawBaselineTask {
    pub id: S<String>,
    pub start: S<NaiveDate>,
    pub finish: S<NaiveDate>,
    pub work: Option<S<[Amount; 3]>>,
    pub cost: Option<S<f64>>,
}

#[derive(Debug)]
pub(crate) struct RawBaseline {
    pub name: S<String>,
    pub saved: Option<S<NaiveDate>>,
    pub tasks: Vec<RawBaselineTask>,
}

/// Reads one parsed file.
pub(crate) fn read_file(
    ctx: &mut Ctx<'_>,
    root: &toml::de::DeTable<'_>,
    root_span: std::ops::Range<usize>,
) -> RawFile {
    let mut raw = RawFile::default();
    let top = Tbl {
        map: root,
        span: root_span,
        what: "the plan file".to_string(),
    };
    top.check_keys(ctx, TOP_KEYS);

    if let Some(v) = top.get("program")
        && let Some(t) = Tbl::of(ctx, v, "`[program]`")
    {
        raw.program = Some(read_program(ctx, &t));
    }
    raw.includes = top.strings(ctx, "include");

    let mut defaults = (None, None);
    if let Some(v) = top.get("defaults")
        && let Some(t) = Tbl::of(ctx, v, "`[defaults]`")
    {
        t.check_keys(ctx, DEFAULTS_KEYS);
        defaults = (t.string(ctx, "team"), t.string(ctx, "parent"));
    }

    for (id, t) in keyed_tables(ctx, &top, "calendar") {
        raw.calendars.push(read_calendar(ctx, id, &t));
    }
    for (id, t) in keyed_tables(ctx, &top, "team") {
        t.check_keys(ctx, TEAM_KEYS);
        raw.teams.push(RawTeam {
            id,
            name: t.string(ctx, "name").map(|s| s.v),
            lead: t.string(ctx, "lead"),
            members: t.strings(ctx, "members"),
            calendar: t.string(ctx, "calendar"),
            throughput: numbers(ctx, &t, "throughput"),
        });
    }
    for (id, t) in keyed_tables(ctx, &top, "person") {
        raw.people.push(read_person(ctx, id, &t));
    }
    for (id, t) in keyed_tables(ctx, &top, "resource") {
        t.check_keys(ctx, RESOURCE_KEYS);
        raw.resources.push(RawResource {
            id,
            name: t.string(ctx, "name").map(|s| s.v),
            capacity: t.integer(ctx, "capacity"),
            calendar: t.string(ctx, "calendar"),
        });
    }
    for (i, t) in array_tables(ctx, &top, "task") {
        if let Some(task) = read_task(ctx, &t, i, false, &defaults) {
            raw.tasks.push(task);
        }
    }
    for (i, t) in array_tables(ctx, &top, "milestone") {
        if let Some(task) = read_task(ctx, &t, i, true, &defaults) {
            raw.tasks.push(task);
        }
    }
    // Tasks and milestones are kept in file order, whichever array they came from.
    raw.tasks.sort_by_key(|t| t.at.start);
    for (i, t) in array_tables(ctx, &top, "goal") {
        t.check_keys(ctx, GOAL_KEYS);
        if let Some(id) = entry_id(ctx, &t, "goal", i) {
            raw.goals.push(RawGoal {
                id,
                name: t.string(ctx, "name"),
                description: t.string(ctx, "description").map(|s| s.v),
                owner: t.string(ctx, "owner"),
                at: ctx.at(t.span.clone()),
            });
        }
    }
    for (i, t) in array_tables(ctx, &top, "deliverable") {
        t.check_keys(ctx, DELIVERABLE_KEYS);
        if let Some(id) = entry_id(ctx, &t, "deliverable", i) {
            raw.deliverables.push(RawDeliverable {
                id,
                name: t.string(ctx, "name"),
                goal: t.string(ctx, "goal"),
                due: t.date(ctx, "due"),
                owner: t.string(ctx, "owner"),
                at: ctx.at(t.span.clone()),
            });
        }
    }
    if let Some(v) = top.get("forecast")
        && let Some(t) = Tbl::of(ctx, v, "`[forecast]`")
    {
        t.check_keys(ctx, FORECAST_KEYS);
        raw.forecast = Some(RawForecast {
            distribution: t.string(ctx, "distribution"),
            pert_shape: t.number(ctx, "pert_shape"),
            correlation: t.number(ctx, "correlation"),
            iterations: t.integer(ctx, "iterations"),
            seed: t.integer(ctx, "seed"),
            at: ctx.at(t.span.clone()),
        });
    }
    for (name, t) in keyed_tables(ctx, &top, "scenario") {
        raw.scenarios.push(read_scenario(ctx, name, &t));
    }
    for (i, t) in array_tables(ctx, &top, "progress") {
        if let Some(p) = read_progress(ctx, &t, i) {
            raw.progress.push(p);
        }
    }
    for (name, t) in keyed_tables(ctx, &top, "baseline") {
        raw.baselines.push(read_baseline(ctx, name, &t));
    }
    if let Some(v) = top.get("health")
        && let Some(t) = Tbl::of(ctx, v, "`[health]`")
    {
        raw.health = Some(read_thresholds(ctx, &t, HEALTH_KEYS));
    }
    if let Some(v) = top.get("lint")
        && let Some(t) = Tbl::of(ctx, v, "`[lint]`")
    {
        raw.lint = Some(read_thresholds(ctx, &t, &lint_keys()));
    }
    for (id, t) in keyed_tables(ctx, &top, "stakeholder") {
        raw.stakeholders.push(read_stakeholder(ctx, id, &t));
    }
    for (i, t) in array_tables(ctx, &top, "lesson") {
        if let Some(l) = read_lesson(ctx, &t, i) {
            raw.lessons.push(l);
        }
    }
    for (i, t) in array_tables(ctx, &top, "report") {
        let t = Tbl {
            map: t.map,
            span: t.span.clone(),
            what: format!("report #{}", i + 1),
        };
        if let Some(r) = read_report(ctx, &t) {
            raw.reports.push(r);
        }
    }
    for (kind, key) in [
        (RaidKind::Risk, "risk"),
        (RaidKind::Issue, "issue"),
        (RaidKind::Decision, "decision"),
        (RaidKind::Assumption, "assumption"),
    ] {
        for (i, t) in array_tables(ctx, &top, key) {
            if let Some(r) = read_raid(ctx, &t, kind, key, i) {
                raw.raid.push(r);
            }
        }
    }
    raw
}

fn read_program(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> RawProgram {
    t.check_keys(ctx, PROGRAM_KEYS);
    let program = RawProgram {
        name: t.required_string(ctx, "name", "name = \"Checkout v2\""),
        start: t.date(ctx, "start"),
        currency: t.string(ctx, "currency"),
        status_date: t.date(ctx, "status_date"),
        calendar: t.string(ctx, "calendar"),
        description: t.string(ctx, "description").map(|s| s.v),
        budget: t.money(ctx, "budget"),
        reserve: t.money(ctx, "reserve"),
        at: ctx.at(t.span.clone()),
    };
    if t.get("start").is_none() {
        t.missing(ctx, "start", "start = 2027-01-11");
    }
    if let Some(c) = &program.currency {
        let ok = c.v.len() == 3 && c.v.chars().all(|ch| ch.is_ascii_uppercase());
        if !ok {
            ctx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    c.at,
                    "currency must be an ISO 4217 code",
                )
                .label(format!(
                    "expected three capital letters such as \"USD\", found \"{}\"",
                    c.v
                )),
            );
        }
    }
    program
}

/// `[calendar.uk]`-style tables: the key is the id.
fn keyed_tables<'t, 'i>(
    ctx: &mut Ctx<'_>,
    top: &Tbl<'t, 'i>,
    key: &str,
) -> Vec<(S<String>, Tbl<'t, 'i>)> {
    let Some(v) = top.get(key) else {
        return Vec::new();
    };
    let Some(group) = Tbl::of(ctx, v, format!("`[{key}]`")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in group.map.iter() {
        let id = S {
            v: k.get_ref().to_string(),
            at: ctx.at(k.span()),
        };
        check_id(ctx, &id, key);
        if let Some(t) = Tbl::of(ctx, v, format!("{key} `{}`", id.v)) {
            out.push((id, t));
        }
    }
    out
}

/// `[[task]]`-style arrays of tables.
fn array_tables<'t, 'i>(
    ctx: &mut Ctx<'_>,
    top: &Tbl<'t, 'i>,
    key: &str,
) -> Vec<(usize, Tbl<'t, 'i>)> {
    let Some(v) = top.get(key) else {
        return Vec::new();
    };
    let DeValue::Array(items) = v.get_ref() else {
        ctx.push(
            Diagnostic::new(
                Code::WrongType,
                ctx.at(v.span()),
                format!("`{key}` must be an array of tables"),
            )
            .label(format!(
                "expected [[{key}]] entries, found {}",
                type_name(v.get_ref())
            ))
            .help(format!("write each entry under its own `[[{key}]]` header")),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(t) = Tbl::of(ctx, item, format!("{key} #{}", i + 1)) {
            out.push((i, t));
        }
    }
    out
}

/// Ids: a letter or digit, then letters, digits, `_`, `.` or `-`; at most 100 bytes.
pub(crate) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_alphanumeric())
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && id.len() <= 100
}

fn check_id(ctx: &mut Ctx<'_>, id: &S<String>, what: &str) -> bool {
    if valid_id(&id.v) {
        return true;
    }
    ctx.push(
        Diagnostic::new(Code::InvalidId, id.at, format!("invalid {what} id `{}`", id.v))
            .label("ids start with a letter or digit and contain only letters, digits, `_`, `.` and `-`")
            .help("ids appear in dependencies such as \"pay.api SS+2d\", so they cannot contain spaces or `+`"),
    );
    false
}

fn entry_id(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, what: &str, _index: usize) -> Option<S<String>> {
    let id = t.required_string(ctx, "id", &format!("id = \"{what}-1\""))?;
    check_id(ctx, &id, what).then_some(id)
}

fn read_calendar(ctx: &mut Ctx<'_>, id: S<String>, t: &Tbl<'_, '_>) -> RawCalendar {
    t.check_keys(ctx, CALENDAR_KEYS);
    let workweek = t.array(ctx, "workweek").and_then(|items| {
        let mut week = [false; 7];
        let mut ok = true;
        for item in items {
            let at = ctx.at(item.span());
            match item.get_ref() {
                DeValue::String(s) => match tiller_core::Weekday::parse(s) {
                    Some(d) if week[d.index()] => {
                        ctx.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                at,
                                format!("`{s}` is listed twice in `workweek`"),
                            )
                            .label("duplicate day"),
                        );
                    }
                    Some(d) => week[d.index()] = true,
                    None => {
                        ok = false;
                        ctx.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                at,
                                format!("`{s}` is not a day of the week"),
                            )
                            .label("expected one of mon, tue, wed, thu, fri, sat, sun"),
                        );
                    }
                },
                other => {
                    ok = false;
                    ctx.push(
                        Diagnostic::new(Code::WrongType, at, "wrong type in `workweek`").label(
                            format!(
                                "expected a day name such as \"mon\", found {}",
                                type_name(other)
                            ),
                        ),
                    );
                }
            }
        }
        if ok && !week.iter().any(|w| *w) {
            ok = false;
            let span = t
                .get("workweek")
                .map(|v| v.span())
                .unwrap_or(t.span.clone());
            ctx.error(
                Code::InvalidValue,
                span,
                "a calendar needs at least one working day",
            );
        }
        let at = ctx.at(t
            .get("workweek")
            .map(|v| v.span())
            .unwrap_or(t.span.clone()));
        ok.then_some(S {
            v: WorkWeek(week),
            at,
        })
    });
    let hours_per_day = t.number(ctx, "hours_per_day");
    if let Some(h) = &hours_per_day
        && !(h.v > 0.0 && h.v <= 24.0)
    {
        ctx.push(
            Diagnostic::new(
                Code::InvalidValue,
                h.at,
                "`hours_per_day` must be between 0 and 24",
            )
            .label(format!("found {}", h.v)),
        );
    }
    RawCalendar {
        name: t.string(ctx, "name").map(|s| s.v),
        based_on: t.string(ctx, "based_on"),
        workweek,
        hours_per_day: hours_per_day.filter(|h| h.v > 0.0 && h.v <= 24.0),
        holidays: date_ranges(ctx, t, "holidays"),
        id,
    }
}

/// A list of days and `first..last` ranges (TOML dates or strings).
fn date_ranges(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, key: &str) -> Vec<S<DateRange>> {
    let Some(items) = t.array(ctx, key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let at = ctx.at(item.span());
        match item.get_ref() {
            DeValue::String(s) => match values::parse_date_range(s) {
                Ok((first, last)) => out.push(S {
                    v: DateRange { first, last },
                    at,
                }),
                Err(msg) => ctx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        at,
                        format!("invalid day or range in `{key}`"),
                    )
                    .label(msg)
                    .help("write a day as 2027-03-01 and a range as \"2027-03-01..2027-03-05\""),
                ),
            },
            _ => {
                if let Some(d) = date_value(ctx, item, &format!("an entry of `{key}`")) {
                    out.push(S {
                        v: DateRange::single(d.v),
                        at,
                    });
                }
            }
        }
    }
    out
}

fn read_person(ctx: &mut Ctx<'_>, id: S<String>, t: &Tbl<'_, '_>) -> RawPerson {
    t.check_keys(ctx, PERSON_KEYS);
    let availability = t.number(ctx, "availability");
    if let Some(a) = &availability
        && !(a.v > 0.0 && a.v <= 1.0)
    {
        ctx.push(
            Diagnostic::new(Code::InvalidValue, a.at, format!("availability of `{}` must be in (0, 1]", id.v))
                .label(format!("found {}", a.v))
                .help("availability is the fraction of a working day given to this program: 0.5 is half time"),
        );
    }
    let rate = t.get("rate").and_then(|v| {
        let at = ctx.at(v.span());
        let parsed = match v.get_ref() {
            DeValue::String(s) => values::parse_rate(s),
            other => Err(format!(
                "expected a rate such as \"950/day\" or \"120/hour\", found {}",
                type_name(other)
            )),
        };
        match parsed {
            Ok(r) if r.0 >= 0.0 => Some(S { v: r, at }),
            Ok(_) => {
                ctx.push(
                    Diagnostic::new(Code::InvalidValue, at, "a rate cannot be negative")
                        .label("negative rate"),
                );
                None
            }
            Err(msg) => {
                ctx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        at,
                        format!("invalid rate for `{}`", id.v),
                    )
                    .label(msg),
                );
                None
            }
        }
    });
    RawPerson {
        name: t.string(ctx, "name").map(|s| s.v),
        email: t.string(ctx, "email").map(|s| s.v),
        team: t.string(ctx, "team"),
        calendar: t.string(ctx, "calendar"),
        availability: availability.filter(|a| a.v > 0.0 && a.v <= 1.0),
        off: date_ranges(ctx, t, "off"),
        rate,
        id,
    }
}

fn estimate(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, key: &str) -> Option<S<[Amount; 3]>> {
    let v = t.get(key)?;
    let at = ctx.at(v.span());
    let DeValue::String(s) = v.get_ref() else {
        ctx.push(
            Diagnostic::new(
                Code::WrongType,
                at,
                format!("wrong type for `{key}` in {}", t.what),
            )
            .label(format!(
                "expected a string such as \"5d\" or \"3d/5d/10d\", found {}",
                type_name(v.get_ref())
            ))
            .help(DURATION_HELP),
        );
        return None;
    };
    match values::parse_estimate(s) {
        Ok(est) => {
            let [o, l, p] = est;
            let comparable = o.unit == l.unit && l.unit == p.unit;
            if comparable && !(o.value <= l.value && l.value <= p.value) {
                ctx.push(
                    Diagnostic::new(Code::InvalidValue, at, format!("`{key}` estimates are out of order in {}", t.what))
                        .label("expected optimistic <= likely <= pessimistic")
                        .help("three-point estimates are written optimistic/likely/pessimistic, e.g. \"3d/5d/10d\""),
                );
                return None;
            }
            Some(S { v: est, at })
        }
        Err(msg) => {
            ctx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    at,
                    format!("invalid `{key}` in {}", t.what),
                )
                .label(msg)
                .help(DURATION_HELP),
            );
            None
        }
    }
}

fn read_deps(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> Vec<RawDep> {
    let Some(v) = t.get("after") else {
        return Vec::new();
    };
    let single;
    let items: &[Val<'_>] = match v.get_ref() {
        DeValue::Array(a) => a,
        DeValue::String(_) | DeValue::Table(_) => {
            single = [v.clone()];
            &single
        }
        other => {
            ctx.push(
                Diagnostic::new(
                    Code::WrongType,
                    ctx.at(v.span()),
                    format!("wrong type for `after` in {}", t.what),
                )
                .label(format!(
                    "expected an array of task ids, found {}",
                    type_name(other)
                ))
                .help("write `after = [\"design\", \"infra.vault SS+2d\"]`"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        let span = item.span();
        let at = ctx.at(span.clone());
        match item.get_ref() {
            DeValue::String(s) => match values::parse_dep(s) {
                Ok(spec) => {
                    // Point at the id inside the string when the literal has no escapes,
                    // so an unknown id is underlined exactly.
                    let raw_len = span.end - span.start;
                    let id_at = if raw_len == s.len() + 2 {
                        ctx.at(span.start + 1 + spec.id_range.start..span.start + 1 + spec.id_range.end)
                    } else {
                        at
                    };
                    out.push(RawDep {
                        id: S { v: spec.id, at: id_at },
                        kind: spec.kind,
                        lag: spec.lag.map(|l| S { v: l, at }),
                        at,
                    });
                }
                Err(msg) => ctx.push(
                    Diagnostic::new(Code::InvalidDependency, at, format!("invalid dependency in {}", t.what))
                        .label(msg)
                        .help("write \"id\", \"id SS\", \"id FS+2d\" or \"id FF -1d\" (types FS, SS, FF, SF; lags in d, w, ed)"),
                ),
            },
            DeValue::Table(_) => {
                let Some(dt) = Tbl::of(ctx, item, format!("a dependency of {}", t.what)) else {
                    continue;
                };
                dt.check_keys(ctx, DEP_KEYS);
                let Some(id) = dt.required_string(ctx, "task", "task = \"design\"") else {
                    continue;
                };
                let kind = match dt.string(ctx, "type") {
                    Some(k) => match DepKind::parse(&k.v) {
                        Some(kind) => kind,
                        None => {
                            ctx.push(
                                Diagnostic::new(Code::InvalidDependency, k.at, "unknown dependency type")
                                    .label(format!("expected FS, SS, FF or SF, found \"{}\"", k.v)),
                            );
                            continue;
                        }
                    },
                    None => DepKind::FinishToStart,
                };
                let lag = match dt.string(ctx, "lag") {
                    Some(l) => match values::parse_lag(&l.v) {
                        Ok(v) => Some(S { v, at: l.at }),
                        Err(msg) => {
                            ctx.push(Diagnostic::new(Code::InvalidDependency, l.at, "invalid lag").label(msg));
                            continue;
                        }
                    },
                    None => None,
                };
                out.push(RawDep { id, kind, lag, at });
            }
            other => ctx.push(
                Diagnostic::new(Code::WrongType, at, format!("wrong type in `after` of {}", t.what))
                    .label(format!("expected a task id string, found {}", type_name(other))),
            ),
        }
    }
    out
}

fn read_task(
    ctx: &mut Ctx<'_>,
    t: &Tbl<'_, '_>,
    index: usize,
    milestone: bool,
    defaults: &(Option<S<String>>, Option<S<String>>),
) -> Option<RawTask> {
    let kind = if milestone { "milestone" } else { "task" };
    let id = t.get("id").and_then(|_| t.string(ctx, "id"));
    let what = match &id {
        Some(id) => format!("{kind} `{}`", id.v),
        None => format!("{kind} #{}", index + 1),
    };
    let t = Tbl {
        map: t.map,
        span: t.span.clone(),
        what,
    };
    t.check_keys(ctx, if milestone { MILESTONE_KEYS } else { TASK_KEYS });
    let Some(id) = id else {
        if t.get("id").is_none() {
            t.missing(ctx, "id", &format!("id = \"{kind}-{}\"", index + 1));
        }
        return None;
    };
    check_id(ctx, &id, kind);

    let mut assignees = t.strings(ctx, "assignees");
    if let Some(a) = t.string(ctx, "assignee") {
        if !assignees.is_empty() {
            ctx.push(
                Diagnostic::new(
                    Code::InvalidAssignment,
                    a.at,
                    format!("{} has both `assignee` and `assignees`", t.what),
                )
                .label("use one of them")
                .help("list everyone in `assignees = [...]`"),
            );
        }
        assignees.insert(0, a);
    }
    let uses = read_uses(ctx, &t);
    let priority = t.integer(ctx, "priority");
    if let Some(p) = &priority
        && !(0..=1000).contains(&p.v)
    {
        ctx.push(
            Diagnostic::new(
                Code::InvalidValue,
                p.at,
                format!("priority of {} is out of range", t.what),
            )
            .label(format!("expected 0 to 1000 (default 500), found {}", p.v)),
        );
    }
    let effort = if milestone {
        None
    } else {
        estimate(ctx, &t, "effort")
    };
    let duration = if milestone {
        None
    } else {
        estimate(ctx, &t, "duration")
    };
    if let (Some(_), Some(d)) = (&effort, &duration) {
        ctx.push(
            Diagnostic::new(Code::InvalidValue, d.at, format!("{} has both `effort` and `duration`", t.what))
                .label("keep one of them")
                .help("`effort` is person-time spread over the assignees; `duration` is working time whoever works"),
        );
    }
    Some(RawTask {
        milestone,
        name: t.string(ctx, "name").map(|s| s.v),
        // A file's default parent is usually the workstream defined in that file, which
        // cannot be its own parent.
        parent: t
            .string(ctx, "parent")
            .or_else(|| defaults.1.clone().filter(|p| p.v != id.v)),
        team: t.string(ctx, "team").or_else(|| defaults.0.clone()),
        assignees,
        people: t.integer(ctx, "people"),
        items: t.number(ctx, "items"),
        has_work_key: ["effort", "duration", "items"]
            .iter()
            .any(|k| t.get(k).is_some()),
        effort,
        duration,
        after: read_deps(ctx, &t),
        not_before: t.date(ctx, "not_before"),
        deadline: t.date(ctx, "deadline"),
        promised: t.date(ctx, "promised"),
        priority: priority.filter(|p| (0..=1000).contains(&p.v)),
        tags: t.strings(ctx, "tags"),
        goals: t.strings(ctx, "goals"),
        deliverables: t.strings(ctx, "deliverables"),
        uses,
        cost: t.money(ctx, "cost"),
        budget: t.money(ctx, "budget"),
        distribution: t.string(ctx, "distribution"),
        description: t.string(ctx, "description").map(|s| s.v),
        at: ctx.at(t.span.clone()),
        id,
    })
}

/// `uses = ["lab"]` (one unit each) or `uses = { lab = 2 }`.
fn read_uses(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> Vec<(S<String>, S<i64>)> {
    let Some(v) = t.get("uses") else {
        return Vec::new();
    };
    match v.get_ref() {
        DeValue::Table(map) => {
            let mut out = Vec::new();
            for (k, val) in map.iter() {
                let id = S {
                    v: k.get_ref().to_string(),
                    at: ctx.at(k.span()),
                };
                let at = ctx.at(val.span());
                match val.get_ref() {
                    DeValue::Integer(i) if i.as_str().parse::<i64>().is_ok_and(|n| n >= 1) => {
                        let n = i.as_str().parse::<i64>().unwrap_or(1);
                        out.push((id, S { v: n, at }));
                    }
                    other => ctx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            at,
                            format!("invalid units of `{}` in {}", id.v, t.what),
                        )
                        .label(format!(
                            "expected a positive integer, found {}",
                            type_name(other)
                        )),
                    ),
                }
            }
            out
        }
        _ => t
            .strings(ctx, "uses")
            .into_iter()
            .map(|id| {
                let at = id.at;
                (id, S { v: 1, at })
            })
            .collect(),
    }
}

fn read_impact(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> RawImpact {
    let probability = t.probability(ctx, "probability");
    let cost = t.money(ctx, "cost");
    RawImpact {
        probability,
        delay: estimate(ctx, t, "delay"),
        cost,
    }
}

fn read_raid(
    ctx: &mut Ctx<'_>,
    t: &Tbl<'_, '_>,
    kind: RaidKind,
    key: &str,
    index: usize,
) -> Option<RawRaid> {
    let keys = match kind {
        RaidKind::Risk => RISK_KEYS,
        RaidKind::Issue => ISSUE_KEYS,
        RaidKind::Decision => DECISION_KEYS,
        RaidKind::Assumption => ASSUMPTION_KEYS,
    };
    let id = t.get("id").and_then(|_| t.string(ctx, "id"));
    let what = match &id {
        Some(id) => format!("{key} `{}`", id.v),
        None => format!("{key} #{}", index + 1),
    };
    let t = Tbl {
        map: t.map,
        span: t.span.clone(),
        what,
    };
    t.check_keys(ctx, keys);
    let Some(id) = id else {
        if t.get("id").is_none() {
            t.missing(
                ctx,
                "id",
                &format!(
                    "id = \"{}-{}\"",
                    key.to_uppercase().chars().next().unwrap_or('X'),
                    index + 1
                ),
            );
        }
        return None;
    };
    check_id(ctx, &id, key);
    let mut dates = Vec::new();
    for k in [
        "raised",
        "due",
        "mitigation_due",
        "needed_by",
        "decided_on",
        "validate_by",
    ] {
        if keys.contains(&k)
            && let Some(d) = t.date(ctx, k)
        {
            dates.push((k, d));
        }
    }
    let mut texts = Vec::new();
    for k in [
        "mitigation",
        "contingency",
        "trigger",
        "resolution",
        "rationale",
        "ask",
    ] {
        if keys.contains(&k)
            && let Some(s) = t.string(ctx, k)
        {
            texts.push((k, s.v));
        }
    }
    let mut choice = Vec::new();
    for k in ["kind", "response", "severity"] {
        if keys.contains(&k)
            && let Some(s) = t.string(ctx, k)
        {
            choice.push((k, s));
        }
    }
    let (impact, mitigated) = if kind == RaidKind::Risk {
        let impact = read_impact(ctx, &t);
        let mitigated = t.get("mitigated").and_then(|v| {
            let mt = Tbl::of(ctx, v, format!("`mitigated` of {}", t.what))?;
            mt.check_keys(ctx, MITIGATED_KEYS);
            Some(read_impact(ctx, &mt))
        });
        (impact, mitigated)
    } else {
        (RawImpact::default(), None)
    };
    let title = t.required_string(ctx, "title", "title = \"PCI re-certification finds gaps\"");
    Some(RawRaid {
        kind,
        title,
        status: t.string(ctx, "status"),
        owner: t.string(ctx, "owner"),
        dates,
        texts,
        choice,
        impact,
        mitigated,
        decided_by: if kind == RaidKind::Decision {
            t.string(ctx, "decided_by")
        } else {
            None
        },
        impact_level: if kind == RaidKind::Risk {
            impact_level(ctx, &t)
        } else {
            None
        },
        affects: t.strings(ctx, "affects"),
        id,
    })
}

/// A risk's `impact`: 1 to 5, or a word on the same scale.
fn impact_level(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> Option<S<u8>> {
    let v = t.get("impact")?;
    let at = ctx.at(v.span());
    let level = match v.get_ref() {
        DeValue::Integer(i) => i
            .as_str()
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=5).contains(n)),
        DeValue::String(s) => match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "very-low" | "negligible" => Some(1),
            "low" | "minor" => Some(2),
            "medium" | "moderate" => Some(3),
            "high" | "major" => Some(4),
            "very-high" | "severe" => Some(5),
            _ => None,
        },
        _ => None,
    };
    if level.is_none() {
        ctx.push(
            Diagnostic::new(
                Code::InvalidValue,
                at,
                format!("invalid `impact` in {}", t.what),
            )
            .label("expected 1 to 5, or very-low, low, medium, high or very-high"),
        );
    }
    level.map(|v| S { v, at })
}

/// `[health]` and `[lint]`: numbers by key; probabilities and ratios where the key says so.
fn read_thresholds(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, keys: &[&'static str]) -> RawThresholds {
    t.check_keys(ctx, keys);
    let mut values = Vec::new();
    for &k in keys {
        if k == "skip" {
            continue;
        }
        let Some(n) = t.number(ctx, k) else { continue };
        let fraction = k.ends_with("_probability") || k.starts_with("max_") || k == "min_fs";
        let ok = if fraction {
            (0.0..=1.0).contains(&n.v)
        } else {
            n.v >= 0.0 && n.v <= 100_000.0
        };
        if ok {
            values.push((k, n));
        } else {
            ctx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    n.at,
                    format!("`{k}` in {} is out of range", t.what),
                )
                .label(if fraction {
                    format!(
                        "expected a fraction from 0 to 1 (5 % is 0.05), found {}",
                        n.v
                    )
                } else {
                    format!("expected a number of 0 or more, found {}", n.v)
                }),
            );
        }
    }
    RawThresholds {
        values,
        skip: t.strings(ctx, "skip"),
        at: ctx.at(t.span.clone()),
    }
}

fn read_stakeholder(ctx: &mut Ctx<'_>, id: S<String>, t: &Tbl<'_, '_>) -> RawStakeholder {
    t.check_keys(ctx, STAKEHOLDER_KEYS);
    RawStakeholder {
        name: t.string(ctx, "name").map(|s| s.v),
        person: t.string(ctx, "person"),
        role: t.string(ctx, "role").map(|s| s.v),
        interest: t.string(ctx, "interest"),
        influence: t.string(ctx, "influence"),
        audience: t.string(ctx, "audience"),
        cadence: t.string(ctx, "cadence"),
        channel: t.string(ctx, "channel").map(|s| s.v),
        raci: [
            t.strings(ctx, "responsible"),
            t.strings(ctx, "accountable"),
            t.strings(ctx, "consulted"),
            t.strings(ctx, "informed"),
        ],
        id,
    }
}

fn read_lesson(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, index: usize) -> Option<RawLesson> {
    t.check_keys(ctx, LESSON_KEYS);
    let id = entry_id(ctx, t, "lesson", index);
    let title = t.required_string(
        ctx,
        "title",
        "title = \"Book external vendors before planning\"",
    );
    Some(RawLesson {
        title,
        category: t.string(ctx, "category").map(|s| s.v),
        description: t.string(ctx, "description").map(|s| s.v),
        recommendation: t.string(ctx, "recommendation").map(|s| s.v),
        owner: t.string(ctx, "owner"),
        raised: t.date(ctx, "raised"),
        affects: t.strings(ctx, "affects"),
        id: id?,
    })
}

fn read_report(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>) -> Option<RawReport> {
    t.check_keys(ctx, REPORT_KEYS);
    let date = t.date(ctx, "date");
    if t.get("date").is_none() {
        t.missing(ctx, "date", "date = 2027-02-12");
    }
    let mut dimensions = Vec::new();
    for k in ["schedule", "budget", "scope", "risk", "resources"] {
        if let Some(c) = t.string(ctx, k) {
            dimensions.push((k, c));
        }
    }
    let mut forecasts = Vec::new();
    if let Some(items) = t.array(ctx, "forecast") {
        for item in items {
            let Some(ft) = Tbl::of(ctx, item, format!("a forecast of {}", t.what)) else {
                continue;
            };
            ft.check_keys(ctx, REPORT_FORECAST_KEYS);
            let Some(id) = ft.required_string(ctx, "id", "id = \"m.ga\"") else {
                continue;
            };
            let probability = ft.probability(ctx, "probability");
            forecasts.push(RawForecastRecord {
                id,
                p50: ft.date(ctx, "p50"),
                p80: ft.date(ctx, "p80"),
                probability,
            });
        }
    }
    Some(RawReport {
        overall: t.string(ctx, "overall"),
        dimensions,
        forecasts,
        note: t.string(ctx, "note").map(|s| s.v),
        at: ctx.at(t.span.clone()),
        date: date?,
    })
}

/// `done` as a fraction (0.4) or a percentage string ("40%").
fn fraction(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, key: &str) -> Option<S<f64>> {
    let v = t.get(key)?;
    let at = ctx.at(v.span());
    let value = match v.get_ref() {
        DeValue::String(s) => match s.trim().strip_suffix('%').map(|n| n.trim().parse::<f64>()) {
            Some(Ok(p)) => Some(p / 100.0),
            _ => None,
        },
        DeValue::Integer(_) | DeValue::Float(_) => t.number(ctx, key).map(|n| n.v),
        _ => None,
    };
    match value {
        Some(f) if (0.0..=1.0).contains(&f) => Some(S { v: f, at }),
        _ => {
            ctx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    at,
                    format!("invalid `{key}` in {}", t.what),
                )
                .label("expected a fraction from 0 to 1 (0.4) or a percentage (\"40%\")"),
            );
            None
        }
    }
}

fn read_progress(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, index: usize) -> Option<RawProgress> {
    let task = t.get("task").and_then(|_| t.string(ctx, "task"));
    let what = match &task {
        Some(id) => format!("progress of `{}`", id.v),
        None => format!("progress #{}", index + 1),
    };
    let t = Tbl {
        map: t.map,
        span: t.span.clone(),
        what,
    };
    t.check_keys(ctx, PROGRESS_KEYS);
    if task.is_none() && t.get("task").is_none() {
        t.missing(ctx, "task", "task = \"pay.api\"");
    }
    let date = t.date(ctx, "date");
    if date.is_none() && t.get("date").is_none() {
        t.missing(ctx, "date", "date = 2027-02-15");
    }
    let remaining = estimate(ctx, &t, "remaining");
    if let Some(r) = &remaining
        && r.v[0] != r.v[2]
    {
        ctx.push(
            Diagnostic::new(Code::InvalidValue, r.at, "`remaining` is a single estimate")
                .label("expected one duration such as \"5d\""),
        );
    }
    let done = fraction(ctx, &t, "done");
    Some(RawProgress {
        task: task?,
        date: date?,
        status: t.string(ctx, "status"),
        done,
        remaining,
        started: t.date(ctx, "started"),
        finished: t.date(ctx, "finished"),
        cost: t.money(ctx, "cost"),
        by: t.string(ctx, "by"),
        note: t.string(ctx, "note").map(|s| s.v),
        at: ctx.at(t.span.clone()),
    })
}

fn read_baseline(ctx: &mut Ctx<'_>, name: S<String>, t: &Tbl<'_, '_>) -> RawBaseline {
    t.check_keys(ctx, BASELINE_KEYS);
    let mut tasks = Vec::new();
    if let Some(items) = t.array(ctx, "tasks") {
        for item in items {
            let Some(bt) = Tbl::of(ctx, item, format!("a task of baseline `{}`", name.v)) else {
                continue;
            };
            bt.check_keys(ctx, BASELINE_TASK_KEYS);
            let id = bt.required_string(ctx, "id", "id = \"pay.api\"");
            let start = bt.date(ctx, "start");
            let finish = bt.date(ctx, "finish");
            if bt.get("start").is_none() {
                bt.missing(ctx, "start", "start = 2027-01-11");
            }
            if bt.get("finish").is_none() {
                bt.missing(ctx, "finish", "finish = 2027-01-22");
            }
            let work = estimate(ctx, &bt, "work");
            let cost = bt.money(ctx, "cost");
            if let (Some(id), Some(start), Some(finish)) = (id, start, finish) {
                if finish.v < start.v {
                    ctx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            finish.at,
                            format!(
                                "baseline `{}` has `{}` finishing before it starts",
                                name.v, id.v
                            ),
                        )
                        .label(format!("finish {} is before start {}", finish.v, start.v)),
                    );
                    continue;
                }
                tasks.push(RawBaselineTask {
                    id,
                    start,
                    finish,
                    work,
                    cost,
                });
            }
        }
    }
    RawBaseline {
        saved: t.date(ctx, "saved"),
        tasks,
        name,
    }
}

/// A list of non-negative numbers, e.g. a throughput history.
fn numbers(ctx: &mut Ctx<'_>, t: &Tbl<'_, '_>, key: &str) -> Option<S<Vec<f64>>> {
    let items = t.array(ctx, key)?;
    let at = ctx.at(t.get(key).map(|v| v.span()).unwrap_or(t.span.clone()));
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let value = match item.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match value {
            Some(v) if v.is_finite() && v >= 0.0 => out.push(v),
            _ => ctx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    ctx.at(item.span()),
                    format!("invalid entry in `{key}` of {}", t.what),
                )
                .label(format!(
                    "expected a number of 0 or more, found {}",
                    type_name(item.get_ref())
                )),
            ),
        }
    }
    Some(S { v: out, at })
}

fn read_scenario(ctx: &mut Ctx<'_>, name: S<String>, t: &Tbl<'_, '_>) -> RawScenario {
    t.check_keys(ctx, SCENARIO_KEYS);
    let mut estimates = Vec::new();
    if let Some(v) = t.get("estimates")
        && let Some(et) = Tbl::of(ctx, v, format!("`estimates` of scenario `{}`", name.v))
    {
        for (k, val) in et.map.iter() {
            let id = S {
                v: k.get_ref().to_string(),
                at: ctx.at(k.span()),
            };
            let at = ctx.at(val.span());
            match val.get_ref() {
                DeValue::String(s) => match values::parse_estimate(s) {
                    Ok(e) => estimates.push((id, S { v: e, at })),
                    Err(msg) => ctx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            at,
                            format!("invalid estimate for `{}` in scenario `{}`", id.v, name.v),
                        )
                        .label(msg)
                        .help(DURATION_HELP),
                    ),
                },
                other => ctx.push(
                    Diagnostic::new(
                        Code::WrongType,
                        at,
                        format!("invalid estimate for `{}` in scenario `{}`", id.v, name.v),
                    )
                    .label(format!(
                        "expected a string such as \"5d\" or \"3d/5d/10d\", found {}",
                        type_name(other)
                    )),
                ),
            }
        }
    }
    let mut add_people = Vec::new();
    if let Some(v) = t.get("add_people")
        && let Some(at) = Tbl::of(ctx, v, format!("`add_people` of scenario `{}`", name.v))
    {
        for (k, val) in at.map.iter() {
            let id = S {
                v: k.get_ref().to_string(),
                at: ctx.at(k.span()),
            };
            let span = ctx.at(val.span());
            match val.get_ref() {
                DeValue::Integer(i)
                    if i.as_str()
                        .parse::<i64>()
                        .is_ok_and(|n| (1..=1000).contains(&n)) =>
                {
                    let n = i.as_str().parse::<i64>().unwrap_or(1);
                    add_people.push((id, S { v: n, at: span }));
                }
                other => ctx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        span,
                        format!(
                            "invalid number of people for `{}` in scenario `{}`",
                            id.v, name.v
                        ),
                    )
                    .label(format!(
                        "expected a whole number from 1 to 1000, found {}",
                        type_name(other)
                    )),
                ),
            }
        }
    }
    RawScenario {
        description: t.string(ctx, "description").map(|s| s.v),
        start: t.date(ctx, "start"),
        remove: t.strings(ctx, "remove"),
        mitigate: t.strings(ctx, "mitigate"),
        estimates,
        add_people,
        name,
    }
}
