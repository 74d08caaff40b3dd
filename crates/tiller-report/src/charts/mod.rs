//! SVG charts, hand-written: every chart has a title, a description for screen
//! readers, and a text label, a line style or a pattern next to every colour, so that
//! colour never carries meaning alone. [`crate::png`] turns any of them into a PNG.

pub mod burnup;
pub mod drift;
pub mod evm;
pub mod forecast;
pub mod gantt;
pub mod load;
pub mod risk;
pub mod svg;

use tiller_core::Audience;

use crate::evidence::Evidence;
use crate::health::Health;

/// One chart: an SVG document and what it shows.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Stable id: `gantt`, `gantt-workstreams`, `forecast-program`, `forecast-m.ga`,
    /// `evm`, `risk-matrix`, `load`, `burn-up`, `drift`. The SVG element's id is
    /// `chart-` followed by it.
    pub id: String,
    pub title: String,
    /// What it shows, in a sentence (also the SVG's description).
    pub caption: String,
    pub svg: String,
}

/// The charts of a status report for an audience: the exec report gets the
/// workstream Gantt, forecasts of open promises, drift, earned value and the risk
/// matrix; the team report all of them, with the full Gantt, every milestone's
/// forecast, the load heatmap and the burn-up.
pub fn for_report(
    e: &Evidence<'_>,
    h: &Health,
    audience: Audience,
    drift_extra: &[drift::DriftPoint],
) -> Vec<Chart> {
    let exec = audience == Audience::Exec;
    let mut out = Vec::new();
    out.push(gantt::gantt(
        e,
        if exec {
            gantt::Detail::Workstreams
        } else {
            gantt::Detail::Tasks
        },
    ));
    if let Some(f) = &e.forecast {
        for o in &e.outlook {
            let wanted = !o.done && (o.promised.is_some() || !exec);
            if !wanted {
                continue;
            }
            if let Some(df) = f.milestones.iter().find(|m| m.id == o.id) {
                out.push(forecast::milestone(df, o, f.iterations));
            }
        }
    }
    if let Some(c) = drift::chart(e, &drift::points(e, drift_extra)) {
        out.push(c);
    }
    if let Some(c) = e
        .evm
        .as_ref()
        .and_then(|r| evm::s_curve(r, &e.program.name))
    {
        out.push(c);
    }
    let log = crate::raid::raid_log(
        e.program,
        e.status_date,
        h.thresholds.high_risk_score,
        e.forecast.as_ref(),
    );
    out.push(risk::matrix(
        &log.risks,
        h.thresholds.high_risk_score,
        &e.program.name,
    ));
    if !exec {
        if let Some(c) = e.load.as_ref().and_then(|l| load::heatmap(e, l)) {
            out.push(c);
        }
        if let Some(c) = burnup::chart(e) {
            out.push(c);
        }
    }
    out
}
