//! Programs and everything in them.

use chrono::NaiveDate;

use crate::{Calendar, DateRange, Money, SourceRef};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// Index into [`Program::tasks`] (tasks, summaries and milestones share one list).
    TaskIdx
);
index_type!(
    /// Index into [`Program::people`].
    PersonIdx
);
index_type!(
    /// Index into [`Program::teams`].
    TeamIdx
);
index_type!(
    /// Index into [`Program::calendars`].
    CalendarIdx
);
index_type!(
    /// Index into [`Program::resources`].
    ResourceIdx
);
index_type!(
    /// Index into [`Program::goals`].
    GoalIdx
);
index_type!(
    /// Index into [`Program::deliverables`].
    DeliverableIdx
);

/// A value with the place in the plan it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub at: SourceRef,
}

impl<T> Located<T> {
    pub fn new(value: T, at: SourceRef) -> Self {
        Located { value, at }
    }
}

/// A whole program, validated: every index is in range and the dependency graph
/// references only existing tasks (cycles are detected by the scheduler, which reports
/// them with their full path).
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub description: Option<String>,
    pub start: NaiveDate,
    pub currency: String,
    /// The "as of" date for progress and earned value.
    pub status_date: Option<NaiveDate>,
    /// The authorised budget of the whole program.
    pub budget: Option<Money>,
    /// Management reserve, held outside the work's budget.
    pub reserve: Option<Money>,
    pub default_calendar: CalendarIdx,
    pub calendars: Vec<Calendar>,
    pub teams: Vec<Team>,
    pub people: Vec<Person>,
    pub resources: Vec<SharedResource>,
    /// Tasks, summaries and milestones in plan order (included files in place).
    pub tasks: Vec<Task>,
    pub goals: Vec<Goal>,
    pub deliverables: Vec<Deliverable>,
    pub risks: Vec<Risk>,
    pub issues: Vec<Issue>,
    pub decisions: Vec<Decision>,
    pub assumptions: Vec<Assumption>,
    /// Every progress update, sorted by task then date (the history is kept).
    pub progress: Vec<ProgressUpdate>,
    /// Named baselines in plan order.
    pub baselines: Vec<Baseline>,
    pub forecast: ForecastSettings,
    /// Named what-if overlays, in plan order.
    pub scenarios: Vec<Scenario>,
    /// Health and lint thresholds, stakeholders, lessons learned and the history of
    /// issued status reports.
    pub reporting: Reporting,
}

/// A what-if: changes applied on top of the plan before forecasting it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    /// A later (or earlier) start for the whole program.
    pub start: Option<NaiveDate>,
    /// Tasks cut from scope (their dependents no longer wait for them).
    pub remove: Vec<TaskIdx>,
    /// Risks assumed mitigated: their post-mitigation impact applies (or, without one,
    /// they are closed).
    pub mitigate: Vec<usize>,
    /// New estimates for tasks, keeping each task's kind of work.
    pub estimates: Vec<(TaskIdx, Estimate)>,
    /// People added to teams (full time, on the team calendar).
    pub add_people: Vec<(TeamIdx, u32)>,
    pub src: SourceRef,
}

/// How three-point estimates are turned into a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Beta-PERT with the given shape (4 is the classic PERT weighting).
    Pert {
        shape: f64,
    },
    Triangular,
}

/// `[forecast]`: defaults for Monte Carlo forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSettings {
    pub distribution: Distribution,
    /// Strength (0..=1) of the estimation bias each team's tasks share: the correlation
    /// between the percentile draws of two tasks of the same team.
    pub correlation: f64,
    pub iterations: Option<u32>,
    pub seed: Option<u64>,
}

impl Default for ForecastSettings {
    fn default() -> Self {
        ForecastSettings {
            distribution: Distribution::Pert { shape: 4.0 },
            correlation: 0.0,
            iterations: None,
            seed: None,
        }
    }
}

impl Program {
    pub fn task(&self, idx: TaskIdx) -> &Task {
        &self.tasks[idx.index()]
    }

    pub fn person(&self, idx: PersonIdx) -> &Person {
        &self.people[idx.index()]
    }

    pub fn team(&self, idx: TeamIdx) -> &Team {
        &self.teams[idx.index()]
    }

    pub fn calendar(&self, idx: CalendarIdx) -> &Calendar {
        &self.calendars[idx.index()]
    }

    pub fn find_task(&self, id: &str) -> Option<TaskIdx> {
        self.tasks
            .iter()
            .position(|t| t.id == id)
            .map(|i| TaskIdx(i as u32))
    }

    /// The calendar of a team: its own, or the program default.
    pub fn team_calendar(&self, team: TeamIdx) -> CalendarIdx {
        self.team(team).calendar.unwrap_or(self.default_calendar)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub name: Option<String>,
    pub lead: Option<PersonIdx>,
    /// Everyone whose `team` is this one, in plan order.
    pub members: Vec<PersonIdx>,
    pub calendar: Option<CalendarIdx>,
    /// Items (or points) finished in each recent week, oldest first: the history
    /// throughput forecasts sample from.
    pub throughput: Vec<f64>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub team: Option<TeamIdx>,
    /// Resolved: the person's own calendar, else their team's, else the program default.
    pub calendar: CalendarIdx,
    /// Fraction of a full working day the person gives to this program, in (0, 1].
    pub availability: f64,
    /// Days off (vacations, leave), sorted and merged.
    pub time_off: Vec<DateRange>,
    /// Cost of one working day of this person.
    pub day_rate: Option<Money>,
    pub src: SourceRef,
}

/// A shared, capacity-limited resource that is not a person: a test lab, a device farm.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedResource {
    pub id: String,
    pub name: Option<String>,
    /// How many tasks may use it at once (in units of the tasks' `uses` demands).
    pub capacity: u32,
    pub calendar: Option<CalendarIdx>,
    pub src: SourceRef,
}

/// Three-point estimate in days; a single value has all three equal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub optimistic: f64,
    pub likely: f64,
    pub pessimistic: f64,
}

impl Estimate {
    pub fn exact(days: f64) -> Self {
        Estimate {
            optimistic: days,
            likely: days,
            pessimistic: days,
        }
    }

    pub fn is_exact(&self) -> bool {
        self.optimistic == self.likely && self.likely == self.pessimistic
    }
}

/// How much work a leaf task is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Work {
    /// Person-days, spread over the assignees: two people halve the duration.
    Effort(Estimate),
    /// Working days on the task's calendar, whoever works on it.
    Duration(Estimate),
    /// A backlog of items (or points) the owning team works through at its measured
    /// weekly throughput. The estimate is the duration that throughput implies, in
    /// working days (its mean, as a single value).
    Items { count: f64, duration: Estimate },
}

impl Work {
    pub fn estimate(&self) -> &Estimate {
        match self {
            Work::Effort(e) | Work::Duration(e) => e,
            Work::Items { duration, .. } => duration,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    Unassigned,
    /// Any `people` members of the team (leveling picks who).
    Team {
        team: TeamIdx,
        people: u32,
    },
    /// These people, named.
    People(Vec<PersonIdx>),
}

/// Dependency type, named after which end of the predecessor constrains which end of the
/// successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepKind {
    FinishToStart,
    StartToStart,
    FinishToFinish,
    StartToFinish,
}

impl DepKind {
    pub fn code(self) -> &'static str {
        match self {
            DepKind::FinishToStart => "FS",
            DepKind::StartToStart => "SS",
            DepKind::FinishToFinish => "FF",
            DepKind::StartToFinish => "SF",
        }
    }

    pub fn parse(code: &str) -> Option<DepKind> {
        match code.to_ascii_uppercase().as_str() {
            "FS" => Some(DepKind::FinishToStart),
            "SS" => Some(DepKind::StartToStart),
            "FF" => Some(DepKind::FinishToFinish),
            "SF" => Some(DepKind::StartToFinish),
            _ => None,
        }
    }

    /// Whether the predecessor's finish (rather than its start) is the constraining end.
    pub fn from_finish(self) -> bool {
        matches!(self, DepKind::FinishToStart | DepKind::FinishToFinish)
    }

    /// Whether the successor's finish (rather than its start) is the constrained end.
    pub fn to_finish(self) -> bool {
        matches!(self, DepKind::FinishToFinish | DepKind::StartToFinish)
    }
}

/// Lag (positive) or lead (negative) on a dependency, in whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lag {
    pub days: i32,
    /// Calendar days (`ed`) rather than working days of the program calendar (`d`).
    pub elapsed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub pred: TaskIdx,
    pub kind: DepKind,
    pub lag: Lag,
    pub src: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Has work and is scheduled.
    Leaf,
    /// Rolls up its children; has no work of its own.
    Summary,
    /// Zero-duration event, possibly promised to stakeholders.
    Milestone,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub name: String,
    pub kind: TaskKind,
    pub parent: Option<TaskIdx>,
    /// Direct children in plan order (filled for summaries).
    pub children: Vec<TaskIdx>,
    /// `None` only for summaries and milestones.
    pub work: Option<Work>,
    /// The team that owns the task: its own `team`, else its assignees' team, else its
    /// parent's. Used for cross-team views ("who waits on whom").
    pub team: Option<TeamIdx>,
    pub assignment: Assignment,
    /// Predecessors of this task.
    pub deps: Vec<Dependency>,
    /// Start no earlier than this day.
    pub not_before: Option<Located<NaiveDate>>,
    /// Finish no later than this day (a soft constraint: missing it shows as negative float).
    pub deadline: Option<Located<NaiveDate>>,
    /// For milestones: the date promised to stakeholders (also a deadline).
    pub promised: Option<Located<NaiveDate>>,
    /// 0..=1000, higher is scheduled first when resources conflict (default 500).
    pub priority: u32,
    pub tags: Vec<String>,
    pub goals: Vec<GoalIdx>,
    pub deliverables: Vec<DeliverableIdx>,
    /// Shared resources used while the task runs, with the units used.
    pub uses: Vec<(ResourceIdx, u32)>,
    /// Fixed cost on top of labour (licences, vendors, hardware).
    pub fixed_cost: Option<Money>,
    /// Budget of a summary task (workstream).
    pub budget: Option<Money>,
    /// This task's own distribution, overriding `[forecast] distribution`.
    pub distribution: Option<Distribution>,
    pub description: Option<String>,
    pub src: SourceRef,
}

/// Where a task stands, as reported on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    NotStarted,
    InProgress,
    Done,
}

/// One dated progress report for one task. Later reports refine earlier ones: a field
/// left out keeps its earlier value.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressUpdate {
    pub task: TaskIdx,
    /// The date the report is as of.
    pub date: NaiveDate,
    /// Stated, or implied by the other fields.
    pub status: Option<TaskStatus>,
    /// Physical fraction complete, 0..=1.
    pub done: Option<f64>,
    /// Remaining work in days (effort for effort-driven tasks, else duration).
    pub remaining: Option<f64>,
    pub started: Option<NaiveDate>,
    pub finished: Option<NaiveDate>,
    /// Actual cost to date.
    pub cost: Option<Money>,
    pub by: Option<PersonIdx>,
    pub note: Option<String>,
    pub src: SourceRef,
}

/// A task's progress as of a date: every update up to then, folded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskProgress {
    pub status: TaskStatus,
    pub done: Option<f64>,
    pub remaining: Option<f64>,
    pub started: Option<NaiveDate>,
    pub finished: Option<NaiveDate>,
    pub cost: Option<Money>,
    /// Date of the last update folded in.
    pub as_of: NaiveDate,
}

impl Program {
    /// Each task's progress as of `date` (end of day), from its updates up to then;
    /// `None` for tasks with no update by that date.
    pub fn progress_as_of(&self, date: NaiveDate) -> Vec<Option<TaskProgress>> {
        let mut out: Vec<Option<TaskProgress>> = vec![None; self.tasks.len()];
        for u in self.progress.iter().filter(|u| u.date <= date) {
            let slot = &mut out[u.task.index()];
            let mut p = slot.unwrap_or(TaskProgress {
                status: TaskStatus::NotStarted,
                done: None,
                remaining: None,
                started: None,
                finished: None,
                cost: None,
                as_of: u.date,
            });
            p.as_of = u.date;
            p.done = u.done.or(p.done);
            p.remaining = u.remaining.or(p.remaining);
            p.started = u.started.or(p.started);
            p.finished = u.finished.or(p.finished);
            p.cost = u.cost.or(p.cost);
            p.status = match u.status {
                Some(s) => s,
                None if u.finished.is_some() || u.done == Some(1.0) => TaskStatus::Done,
                None if u.started.is_some()
                    || u.done.is_some_and(|d| d > 0.0)
                    || u.remaining.is_some() =>
                {
                    TaskStatus::InProgress
                }
                None => p.status,
            };
            if p.status == TaskStatus::Done {
                p.done = Some(1.0);
                p.remaining = Some(0.0);
                p.finished = p.finished.or(Some(u.date));
            }
            if p.status != TaskStatus::NotStarted && p.started.is_none() {
                p.started = Some(u.date);
            }
            *slot = Some(p);
        }
        out
    }
}

/// A recorded plan: dates, work and cost per task, to measure variance and earned
/// value against.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub name: String,
    pub saved: Option<NaiveDate>,
    pub tasks: Vec<BaselineTask>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BaselineTask {
    /// As written: a task may have been removed from the plan since.
    pub id: String,
    pub task: Option<TaskIdx>,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    /// Planned work in days (person-days for effort-driven tasks).
    pub work: f64,
    pub cost: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<PersonIdx>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deliverable {
    pub id: String,
    pub name: String,
    pub goal: Option<GoalIdx>,
    pub due: Option<NaiveDate>,
    pub owner: Option<PersonIdx>,
    pub src: SourceRef,
}

/// Something a RAID entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RaidLink {
    Task(TaskIdx),
    Risk(usize),
    Issue(usize),
    Decision(usize),
    Assumption(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskKind {
    Threat,
    Opportunity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskStatus {
    Open,
    Occurred,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskResponse {
    Avoid,
    Mitigate,
    Transfer,
    Accept,
    Exploit,
    Enhance,
    Share,
}

/// Probability and impact of a risk, before or after its mitigation.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskImpact {
    pub probability: f64,
    /// Schedule impact in working days, applied to the affected tasks when it occurs.
    pub delay: Option<Estimate>,
    pub cost: Option<Money>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub id: String,
    pub title: String,
    pub kind: RiskKind,
    pub status: RiskStatus,
    pub owner: Option<PersonIdx>,
    pub raised: Option<NaiveDate>,
    pub impact: RiskImpact,
    /// The impact once the mitigation is done, when the plan states it.
    pub mitigated: Option<RiskImpact>,
    pub response: Option<RiskResponse>,
    pub mitigation: Option<String>,
    pub mitigation_due: Option<NaiveDate>,
    pub contingency: Option<String>,
    pub trigger: Option<String>,
    /// Impact on the 1 (very low) to 5 (very high) scale of a risk matrix, when the plan
    /// states it; otherwise reports derive it from `delay` and `cost`.
    pub impact_level: Option<u8>,
    /// What the owner needs from leadership about it, if anything.
    pub ask: Option<String>,
    pub affects: Vec<RaidLink>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueStatus {
    Open,
    Resolved,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IssueStatus,
    pub owner: Option<PersonIdx>,
    pub raised: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub resolution: Option<String>,
    /// What the owner needs from leadership to resolve it, if anything.
    pub ask: Option<String>,
    pub affects: Vec<RaidLink>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionStatus {
    Open,
    Decided,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: String,
    pub title: String,
    pub status: DecisionStatus,
    pub owner: Option<PersonIdx>,
    pub needed_by: Option<NaiveDate>,
    pub decided_by: Option<PersonIdx>,
    pub decided_on: Option<NaiveDate>,
    pub rationale: Option<String>,
    /// What the owner needs from leadership to decide it, if anything.
    pub ask: Option<String>,
    pub affects: Vec<RaidLink>,
    pub src: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssumptionStatus {
    Open,
    Validated,
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assumption {
    pub id: String,
    pub title: String,
    pub status: AssumptionStatus,
    pub owner: Option<PersonIdx>,
    pub validate_by: Option<NaiveDate>,
    pub affects: Vec<RaidLink>,
    pub src: SourceRef,
}

// ---------------------------------------------------------------------------------
// Reporting: health and lint thresholds, stakeholders, lessons, report history.

/// A health colour. Ordered from best to worst, so the worst of several is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rag {
    Green,
    Amber,
    Red,
}

impl Rag {
    pub const ALL: [Rag; 3] = [Rag::Green, Rag::Amber, Rag::Red];

    /// `green`, `amber` or `red`: the spelling in plan files and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Rag::Green => "green",
            Rag::Amber => "amber",
            Rag::Red => "red",
        }
    }

    /// `GREEN`, `AMBER` or `RED`: the label every report shows next to the colour.
    pub fn label(self) -> &'static str {
        match self {
            Rag::Green => "GREEN",
            Rag::Amber => "AMBER",
            Rag::Red => "RED",
        }
    }

    /// Parses `green`, `amber` (or `yellow`) and `red`, in any case.
    pub fn parse(s: &str) -> Option<Rag> {
        match s.trim().to_ascii_lowercase().as_str() {
            "green" => Some(Rag::Green),
            "amber" | "yellow" => Some(Rag::Amber),
            "red" => Some(Rag::Red),
            _ => None,
        }
    }
}

/// What a health colour is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthDimension {
    Schedule,
    Budget,
    Scope,
    Risk,
    Resources,
}

impl HealthDimension {
    pub const ALL: [HealthDimension; 5] = [
        HealthDimension::Schedule,
        HealthDimension::Budget,
        HealthDimension::Scope,
        HealthDimension::Risk,
        HealthDimension::Resources,
    ];

    /// `schedule`, `budget`, `scope`, `risk` or `resources`.
    pub fn key(self) -> &'static str {
        match self {
            HealthDimension::Schedule => "schedule",
            HealthDimension::Budget => "budget",
            HealthDimension::Scope => "scope",
            HealthDimension::Risk => "risk",
            HealthDimension::Resources => "resources",
        }
    }

    pub fn parse(s: &str) -> Option<HealthDimension> {
        HealthDimension::ALL.into_iter().find(|d| d.key() == s)
    }
}

/// Keys of `[health]`: every threshold of the health rules (their defaults and meaning
/// are documented with the rules, in `docs/reports.md`).
pub const HEALTH_KEYS: &[&str] = &[
    "amber_probability",
    "red_probability",
    "amber_slip_days",
    "red_slip_days",
    "amber_float_days",
    "amber_spi_t",
    "red_spi_t",
    "amber_cpi",
    "red_cpi",
    "amber_overrun",
    "red_overrun",
    "amber_scope_growth",
    "red_scope_growth",
    "high_risk_score",
    "red_overdue_high_risks",
    "amber_overdue_items",
    "red_critical_issues",
    "amber_high_issues",
    "amber_load",
    "red_load",
    "load_weeks",
];

/// Names of the schedule-quality checks of `tiller lint` (DCMA 14-point style), as
/// `[lint] skip` lists them.
pub const LINT_CHECKS: &[&str] = &[
    "logic",
    "leads",
    "lags",
    "relationship-types",
    "hard-constraints",
    "high-float",
    "negative-float",
    "high-duration",
    "invalid-dates",
    "resources",
    "missed-tasks",
    "critical-path-test",
    "cpli",
    "bei",
];

/// Numeric keys of `[lint]` (besides `skip`): the thresholds of the checks.
pub const LINT_KEYS: &[&str] = &[
    "high_float_days",
    "high_duration_days",
    "max_missing_logic",
    "max_leads",
    "max_lags",
    "min_fs",
    "max_hard_constraints",
    "max_high_float",
    "max_negative_float",
    "max_high_duration",
    "max_invalid_dates",
    "max_unresourced",
    "max_missed",
    "critical_path_delay_days",
    "min_cpli",
    "min_bei",
];

/// `[health]`, `[lint]`, `[stakeholder.*]`, `[[lesson]]` and `[[report]]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reporting {
    /// Health thresholds set in the plan, by key (one of [`HEALTH_KEYS`]); the rest
    /// keep their defaults.
    pub health: Vec<(String, f64)>,
    /// Lint thresholds set in the plan, by key (one of [`LINT_KEYS`]).
    pub lint: Vec<(String, f64)>,
    /// Lint checks not to run (names from [`LINT_CHECKS`]).
    pub lint_skip: Vec<String>,
    pub stakeholders: Vec<Stakeholder>,
    pub lessons: Vec<Lesson>,
    /// Status reports as issued, sorted by date.
    pub history: Vec<ReportRecord>,
}

/// Low, medium or high: a stakeholder's interest in or influence on the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn key(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// Which status report a stakeholder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The short report: colours, milestones, top risks, decisions, budget, the ask.
    Exec,
    /// The full report, with workstreams, dependencies and every chart.
    Team,
}

impl Audience {
    pub fn key(self) -> &'static str {
        match self {
            Audience::Exec => "exec",
            Audience::Team => "team",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exec" | "executive" => Some(Audience::Exec),
            "team" => Some(Audience::Team),
            _ => None,
        }
    }
}

/// How often a stakeholder hears about the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cadence {
    Daily,
    Weekly,
    Biweekly,
    Monthly,
    Quarterly,
    /// At each milestone.
    Milestones,
}

impl Cadence {
    pub const ALL: [Cadence; 6] = [
        Cadence::Daily,
        Cadence::Weekly,
        Cadence::Biweekly,
        Cadence::Monthly,
        Cadence::Quarterly,
        Cadence::Milestones,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
            Cadence::Biweekly => "biweekly",
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::Milestones => "milestones",
        }
    }
}

/// Someone with a stake in the program: the register, their part in the RACI of
/// workstreams and milestones, and how they are kept informed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stakeholder {
    pub id: String,
    pub name: Option<String>,
    /// The person, when the stakeholder is one of the plan's people.
    pub person: Option<PersonIdx>,
    pub role: Option<String>,
    pub interest: Option<Level>,
    pub influence: Option<Level>,
    pub audience: Audience,
    pub cadence: Option<Cadence>,
    /// Where they hear about it: "steering committee", "e-mail", "#checkout".
    pub channel: Option<String>,
    /// RACI: workstreams (summaries), tasks and milestones.
    pub responsible: Vec<TaskIdx>,
    pub accountable: Vec<TaskIdx>,
    pub consulted: Vec<TaskIdx>,
    pub informed: Vec<TaskIdx>,
    pub src: SourceRef,
}

/// A lesson learned, kept in the plan for the post-program evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub category: Option<String>,
    pub description: Option<String>,
    /// What to do differently next time.
    pub recommendation: Option<String>,
    pub owner: Option<PersonIdx>,
    pub raised: Option<NaiveDate>,
    pub affects: Vec<RaidLink>,
    pub src: SourceRef,
}

/// A status report as it was issued: the colours and forecasts of that day, so the
/// next report can show the transition and the forecast drift.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub date: NaiveDate,
    pub overall: Option<Rag>,
    /// Colour per dimension, in [`HealthDimension::ALL`] order, where recorded.
    pub dimensions: Vec<(HealthDimension, Rag)>,
    /// Forecast dates per milestone (`program` for the program finish), as written:
    /// a milestone may have been renamed or removed since.
    pub forecasts: Vec<ForecastRecord>,
    pub note: Option<String>,
    pub src: SourceRef,
}

/// One milestone's forecast as a report recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRecord {
    pub id: String,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    /// Probability of meeting the promised date.
    pub probability: Option<f64>,
}
