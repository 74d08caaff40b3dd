//! What-if scenarios: a program with a scenario's changes applied, and the levers a TPM
//! can pull.

use tiller_core::{
    Assignment, Money, Person, PersonIdx, Program, RaidLink, RiskStatus, Scenario, TaskIdx,
    TaskKind, TeamIdx, Work,
};

/// The program with `scenario` applied. Task indices stay as they are, so results
/// compare task by task with the base plan.
pub fn apply(program: &Program, scenario: &Scenario) -> Program {
    let mut p = program.clone();
    if let Some(start) = scenario.start {
        p.start = start;
    }
    // Cut from scope: the task (and everything beneath a summary) keeps its place but
    // has no work, no cost, no dependencies and nothing waiting on it.
    let mut removed = vec![false; p.tasks.len()];
    let mut stack: Vec<TaskIdx> = scenario.remove.clone();
    while let Some(t) = stack.pop() {
        if removed[t.index()] {
            continue;
        }
        removed[t.index()] = true;
        stack.extend(p.task(t).children.iter().copied());
    }
    for (i, task) in p.tasks.iter_mut().enumerate() {
        if removed[i] {
            if task.kind == TaskKind::Leaf {
                task.work = Some(Work::Duration(tiller_core::Estimate::exact(0.0)));
            }
            task.assignment = Assignment::Unassigned;
            task.fixed_cost = None;
            task.deps.clear();
            task.not_before = None;
            task.deadline = None;
            task.promised = None;
        } else {
            task.deps.retain(|d| !removed[d.pred.index()]);
        }
    }
    for risk in &mut p.risks {
        risk.affects
            .retain(|a| !matches!(a, RaidLink::Task(t) if removed[t.index()]));
    }
    for &r in &scenario.mitigate {
        let risk = &mut p.risks[r];
        match risk.mitigated.take() {
            Some(m) => risk.impact = m,
            None => risk.status = RiskStatus::Closed,
        }
    }
    for &(t, estimate) in &scenario.estimates {
        let task = &mut p.tasks[t.index()];
        task.work = match task.work {
            Some(Work::Effort(_)) => Some(Work::Effort(estimate)),
            Some(Work::Duration(_)) | None if task.kind == TaskKind::Leaf => {
                Some(Work::Duration(estimate))
            }
            Some(Work::Items { count, .. }) => Some(Work::Items {
                count,
                duration: estimate,
            }),
            other => other,
        };
    }
    for &(team, n) in &scenario.add_people {
        add_people(&mut p, team, n);
    }
    p
}

/// Adds `n` full-time people to a team (at the team's mean rate, on its calendar) and
/// spreads the team's effort-driven work over that many more of its members.
fn add_people(p: &mut Program, team: TeamIdx, n: u32) {
    let members = p.team(team).members.clone();
    let rates: Vec<i64> = members
        .iter()
        .filter_map(|m| p.person(*m).day_rate.map(|r| r.0))
        .collect();
    let mean_rate =
        (!rates.is_empty()).then(|| Money(rates.iter().sum::<i64>() / rates.len() as i64));
    let calendar = p.team_calendar(team);
    for k in 0..n {
        let idx = PersonIdx(p.people.len() as u32);
        p.people.push(Person {
            id: format!("{}.new{}", p.team(team).id, k + 1),
            name: Some(format!("New member {} of {}", k + 1, p.team(team).id)),
            email: None,
            team: Some(team),
            calendar,
            availability: 1.0,
            time_off: Vec::new(),
            day_rate: mean_rate,
            src: p.team(team).src,
        });
        p.teams[team.index()].members.push(idx);
    }
    let size = p.team(team).members.len() as u32;
    for task in &mut p.tasks {
        if let (Assignment::Team { team: t, people }, Some(Work::Effort(_))) =
            (&mut task.assignment, &task.work)
            && *t == team
        {
            *people = (*people + n).min(size);
        }
    }
}

/// A change a TPM could make, as a scenario of its own.
#[derive(Debug, Clone)]
pub struct Lever {
    pub description: String,
    pub scenario: Scenario,
}

/// Candidate levers: mitigating each open risk, one more person in each team with
/// team-assigned work, and cutting each of `cuttable` (typically the tasks most often
/// critical) from scope.
pub fn levers(program: &Program, cuttable: &[TaskIdx]) -> Vec<Lever> {
    let mut out = Vec::new();
    for (r, risk) in program.risks.iter().enumerate() {
        if risk.status != RiskStatus::Open {
            continue;
        }
        out.push(Lever {
            description: format!(
                "mitigate {}{}",
                risk.id,
                if risk.mitigated.is_some() {
                    ""
                } else {
                    " (close it)"
                }
            ),
            scenario: Scenario {
                name: format!("mitigate-{}", risk.id),
                mitigate: vec![r],
                ..Scenario::default()
            },
        });
    }
    for (t, team) in program.teams.iter().enumerate() {
        let uses_pool = program.tasks.iter().any(|task| {
            matches!(task.assignment, Assignment::Team { team: tt, .. } if tt.index() == t)
                && matches!(task.work, Some(Work::Effort(_)))
        });
        if uses_pool {
            out.push(Lever {
                description: format!("one more person in team {}", team.id),
                scenario: Scenario {
                    name: format!("add-{}", team.id),
                    add_people: vec![(TeamIdx(t as u32), 1)],
                    ..Scenario::default()
                },
            });
        }
    }
    for &t in cuttable {
        out.push(Lever {
            description: format!("cut {} from scope", program.task(t).id),
            scenario: Scenario {
                name: format!("cut-{}", program.task(t).id),
                remove: vec![t],
                ..Scenario::default()
            },
        });
    }
    out
}
