//! Stakeholders: the register (role, interest, influence), their RACI on workstreams
//! and milestones, and the communication plan (audience, cadence, channel).

use serde::Serialize;
use tiller_core::{Audience, Program, Stakeholder, TaskIdx};

/// A stakeholder as reports list them.
#[derive(Debug, Clone, Serialize)]
pub struct StakeholderRow {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub interest: Option<&'static str>,
    pub influence: Option<&'static str>,
    /// `manage closely` (high influence, high interest), `keep satisfied`, `keep
    /// informed` or `monitor`: the power/interest grid.
    pub engagement: Option<&'static str>,
    pub audience: &'static str,
    pub cadence: Option<&'static str>,
    pub channel: Option<String>,
}

/// One RACI letter of one stakeholder on one workstream, task or milestone.
#[derive(Debug, Clone, Serialize)]
pub struct RaciEntry {
    pub stakeholder: String,
    pub task: String,
    /// `R`, `A`, `C` or `I`.
    pub role: &'static str,
}

/// The stakeholder's display name: their own, their person's, else their id.
pub fn name(program: &Program, s: &Stakeholder) -> String {
    s.name
        .clone()
        .or_else(|| s.person.and_then(|p| program.person(p).name.clone()))
        .unwrap_or_else(|| s.id.clone())
}

/// The power/interest grid's advice for a stakeholder.
pub fn engagement(s: &Stakeholder) -> Option<&'static str> {
    use tiller_core::Level::High;
    let (interest, influence) = (s.interest?, s.influence?);
    Some(match (influence == High, interest == High) {
        (true, true) => "manage closely",
        (true, false) => "keep satisfied",
        (false, true) => "keep informed",
        (false, false) => "monitor",
    })
}

pub fn register(program: &Program) -> Vec<StakeholderRow> {
    program
        .reporting
        .stakeholders
        .iter()
        .map(|s| StakeholderRow {
            id: s.id.clone(),
            name: name(program, s),
            role: s.role.clone(),
            interest: s.interest.map(|l| l.key()),
            influence: s.influence.map(|l| l.key()),
            engagement: engagement(s),
            audience: s.audience.key(),
            cadence: s.cadence.map(|c| c.key()),
            channel: s.channel.clone(),
        })
        .collect()
}

/// Every RACI letter, stakeholder by stakeholder.
pub fn raci(program: &Program) -> Vec<RaciEntry> {
    program
        .reporting
        .stakeholders
        .iter()
        .flat_map(|s| {
            letters_of(s).into_iter().map(|(t, role)| RaciEntry {
                stakeholder: s.id.clone(),
                task: program.task(t).id.clone(),
                role,
            })
        })
        .collect()
}

/// The tasks a stakeholder has a RACI letter on, with the letters.
pub fn letters_of(s: &Stakeholder) -> Vec<(TaskIdx, &'static str)> {
    let mut out: Vec<(TaskIdx, &'static str)> = Vec::new();
    for (letter, list) in [
        ("R", &s.responsible),
        ("A", &s.accountable),
        ("C", &s.consulted),
        ("I", &s.informed),
    ] {
        for t in list {
            out.push((*t, letter));
        }
    }
    out
}

/// Finds a stakeholder by id, or by the id of the person they are.
pub fn find<'p>(program: &'p Program, id: &str) -> Option<&'p Stakeholder> {
    let all = &program.reporting.stakeholders;
    all.iter().find(|s| s.id == id).or_else(|| {
        all.iter()
            .find(|s| s.person.is_some_and(|p| program.person(p).id == id))
    })
}

/// The audience a stakeholder reads.
pub fn audience_of(s: &Stakeholder) -> Audience {
    s.audience
}
