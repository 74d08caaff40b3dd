//! The status report in Markdown: for pasting into a wiki, a chat or an e-mail.
//! Colours are written as labels (`RED`), so nothing depends on colour.

use chrono::NaiveDate;

use crate::status::StatusReport;
use crate::util::{md_cell, pct, rag_label};

fn d(x: Option<NaiveDate>) -> String {
    x.map_or_else(|| "-".to_string(), |d| d.to_string())
}

fn label(c: Option<&str>) -> String {
    match c {
        Some(c) => format!("**{}**", c.to_uppercase()),
        None => "-".to_string(),
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "-".to_string(), md_cell)
}

/// Renders a status report.
pub fn render(r: &StatusReport) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# {} — status report as of {}\n\n",
        r.program, r.as_of
    ));
    o.push_str(&format!("**Overall: {}**\n\n", r.headline));
    let mut meta = vec![format!("Audience: {}", r.audience)];
    if let Some(b) = &r.baseline {
        meta.push(format!("baseline `{b}`"));
    }
    if let Some(f) = &r.forecast {
        meta.push(format!("forecast: {f}"));
    }
    o.push_str(&format!("{}.\n\n", meta.join(" · ")));
    if let Some(pf) = &r.prepared_for {
        o.push_str(&format!(
            "Prepared for {}{}{}.\n\n",
            pf.name,
            pf.role
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            match (pf.cadence, &pf.channel) {
                (Some(c), Some(ch)) => format!(", {c} via {ch}"),
                (Some(c), None) => format!(", {c}"),
                (None, Some(ch)) => format!(", via {ch}"),
                (None, None) => String::new(),
            }
        ));
    }

    o.push_str("## Summary\n\n");
    for s in &r.summary {
        o.push_str(&format!("- {s}\n"));
    }

    o.push_str("\n## The ask\n\n");
    if r.asks.is_empty() {
        o.push_str("None.\n");
    } else {
        for a in &r.asks {
            o.push_str(&format!(
                "- **{}**{}{}: {}\n",
                a.id,
                a.owner
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default(),
                a.by.map(|x| format!(", by {x}")).unwrap_or_default(),
                a.text
            ));
        }
    }

    o.push_str("\n## Health\n\n| Dimension | Colour | Previous | Why (rule: figure; thresholds) |\n|---|---|---|---|\n");
    for dim in &r.health.dimensions {
        let w = dim
            .findings
            .iter()
            .filter(|f| Some(f.colour) == dim.colour)
            .find(|f| f.message == dim.reason);
        let why = match w {
            Some(f) => format!("{} ({}: {}; {})", f.message, f.rule, f.figure, f.threshold),
            None => dim.reason.clone(),
        };
        let prev = r
            .health
            .previous
            .as_ref()
            .map_or("-", |p| rag_label(p.dimension(dim.dimension)));
        o.push_str(&format!(
            "| {} | **{}** | {} | {} |\n",
            crate::util::capitalise(dim.dimension.key()),
            rag_label(dim.colour),
            prev,
            md_cell(&why)
        ));
    }
    o.push_str(&format!(
        "\nOverall = the worst dimension: {}.\n",
        r.health.overall_reason
    ));

    o.push_str("\n## Milestones\n\n| Milestone | Baseline | Forecast | P50 | P80 | Variance | Promised | P(on time) | Colour |\n|---|---|---|---|---|---|---|---|---|\n");
    for m in &r.milestones {
        o.push_str(&format!(
            "| `{}` {} | {} | {}{} | {} | {} | {} | {} | {} | {} |\n",
            m.id,
            md_cell(&m.name),
            d(m.baseline),
            m.forecast,
            if m.done { " (reached)" } else { "" },
            d(m.p50),
            d(m.p80),
            m.variance
                .map_or_else(|| "-".to_string(), |v| format!("{v:+}d")),
            d(m.promised),
            m.probability.map_or_else(|| "-".to_string(), pct),
            label(m.colour)
        ));
    }
    o.push_str("\nForecast is the critical-path date; variance is P80 (or the actual date) against the baseline, in working days.\n");

    let acc = &r.accomplishments;
    o.push_str(&format!(
        "\n## Done since {} ({})\n\n",
        acc.since, acc.since_source
    ));
    if acc.finished.is_empty() && acc.decisions.is_empty() {
        o.push_str("Nothing finished.\n");
    }
    for f in &acc.finished {
        o.push_str(&format!(
            "- {}`{}` {} — {}{}\n",
            if f.milestone { "milestone " } else { "" },
            f.id,
            f.name,
            f.date,
            f.team
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default()
        ));
    }
    for x in &acc.decisions {
        o.push_str(&format!("- {x}\n"));
    }
    if !acc.notes.is_empty() {
        o.push_str("\nNotes from the teams:\n\n");
        for n in &acc.notes {
            o.push_str(&format!("- `{}` ({}): {}\n", n.task, n.date, n.note));
        }
    }

    o.push_str(&format!(
        "\n## {}\n\n",
        if r.is_exec() {
            "Top risks"
        } else {
            "Open risks"
        }
    ));
    if r.risks.is_empty() {
        o.push_str("No open threats.\n");
    } else {
        o.push_str("| Risk | Level (P×I) | Owner | Mitigation | Due | P80 effect | Ask |\n|---|---|---|---|---|---|---|\n");
        for x in &r.risks {
            o.push_str(&format!(
                "| `{}` {} | {} ({}×{}={}) | {} | {} | {}{} | {} | {} |\n",
                x.id,
                md_cell(&x.title),
                x.level,
                x.probability_band,
                x.impact,
                x.score,
                opt(&x.owner),
                opt(&x.mitigation),
                d(x.mitigation_due),
                if x.overdue { " **OVERDUE**" } else { "" },
                x.p80_days
                    .map_or_else(|| "-".to_string(), crate::util::wdays),
                opt(&x.ask)
            ));
        }
    }

    o.push_str("\n## Open issues\n\n");
    if r.issues.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("| Issue | Severity | Owner | Due | Ask |\n|---|---|---|---|---|\n");
        for i in &r.issues {
            o.push_str(&format!(
                "| `{}` {} | {} | {} | {}{} | {} |\n",
                i.id,
                md_cell(&i.title),
                i.severity,
                opt(&i.owner),
                d(i.due),
                if i.overdue { " **OVERDUE**" } else { "" },
                opt(&i.ask)
            ));
        }
    }

    o.push_str("\n## Cross-team dependencies at risk\n\n");
    if r.dependencies.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("| Team | Waits on | Task | After | Upstream finish | Why at risk |\n|---|---|---|---|---|---|\n");
        let shown = if r.is_exec() { 10 } else { usize::MAX };
        for x in r.dependencies.iter().take(shown) {
            o.push_str(&format!(
                "| {} | {} | `{}` | `{}` {} | {} | {} |\n",
                md_cell(&x.waiting),
                md_cell(&x.upstream),
                x.task,
                x.after,
                x.link,
                x.upstream_finish,
                md_cell(&x.reasons.join("; "))
            ));
        }
        if r.dependencies.len() > shown {
            o.push_str(&format!(
                "\n{} more in the team report.\n",
                r.dependencies.len() - shown
            ));
        }
    }

    o.push_str("\n## Decisions needed\n\n");
    if r.decisions.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("| Decision | Owner | Needed by | Affects |\n|---|---|---|---|\n");
        for x in &r.decisions {
            o.push_str(&format!(
                "| `{}` {} | {} | {}{} | {} |\n",
                x.id,
                md_cell(&x.title),
                opt(&x.owner),
                d(x.needed_by),
                if x.overdue { " **OVERDUE**" } else { "" },
                x.affects
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    o.push_str("\n## Budget\n\n");
    match &r.budget {
        None => o.push_str("Not measured: earned value needs a baseline and a status date.\n"),
        Some(b) => {
            o.push_str(&format!("| ({}) | |\n|---|---:|\n", b.currency));
            let mut row = |k: &str, v: String| o.push_str(&format!("| {k} | {v} |\n"));
            for (k, v) in b.rows() {
                row(k, v);
            }
        }
    }

    o.push_str(&format!(
        "\n## What changed\n\nCompared with {}.\n\n",
        r.changes.against
    ));
    if r.changes.items.is_empty() {
        o.push_str("Nothing to compare with.\n");
    }
    for c in &r.changes.items {
        o.push_str(&format!("- {c}\n"));
    }

    if !r.workstreams.is_empty() {
        o.push_str("\n## Workstreams\n\n| Workstream | Colour | Why |\n|---|---|---|\n");
        for w in &r.workstreams {
            o.push_str(&format!(
                "| `{}` {} | **{}** | {} |\n",
                w.id,
                md_cell(&w.name),
                rag_label(w.colour),
                md_cell(&w.reason)
            ));
        }
    }
    if !r.is_exec() {
        o.push_str("\n## Starting in the next two weeks\n\n");
        if r.upcoming.is_empty() {
            o.push_str("Nothing new starts.\n");
        } else {
            o.push_str("| Task | Team | Start | Finish | Float |\n|---|---|---|---|---|\n");
            for u in &r.upcoming {
                o.push_str(&format!(
                    "| `{}` {} | {} | {} | {} | {}{} |\n",
                    u.id,
                    md_cell(&u.name),
                    opt(&u.team),
                    u.start,
                    u.finish,
                    u.float,
                    if u.critical { " (critical)" } else { "" }
                ));
            }
        }
        if !r.critical_path.is_empty() {
            o.push_str(&format!(
                "\nCritical path: {}\n",
                r.critical_path
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
    }
    if let Some(pf) = &r.prepared_for
        && !pf.raci.is_empty()
    {
        o.push_str(&format!(
            "\n## {}'s part (RACI)\n\n| Role | Item | Finish | Colour |\n|---|---|---|---|\n",
            pf.name
        ));
        for l in &pf.raci {
            o.push_str(&format!(
                "| {} | `{}` {} | {} | {} |\n",
                l.role,
                l.id,
                md_cell(&l.name),
                l.finish,
                label(l.colour)
            ));
        }
    }
    if !r.stakeholders.is_empty() {
        o.push_str("\n## Stakeholders and communication plan\n\n| Stakeholder | Role | Interest / influence | Engagement | Report | Cadence | Channel |\n|---|---|---|---|---|---|---|\n");
        for s in &r.stakeholders {
            o.push_str(&format!(
                "| {} | {} | {} / {} | {} | {} | {} | {} |\n",
                md_cell(&s.name),
                opt(&s.role),
                s.interest.unwrap_or("-"),
                s.influence.unwrap_or("-"),
                s.engagement.unwrap_or("-"),
                s.audience,
                s.cadence.unwrap_or("-"),
                opt(&s.channel)
            ));
        }
    }

    o.push_str("\n## About this report\n\n");
    o.push_str(&format!(
        "Drafted by `tiller report` from the plan as of {}. Each colour is set by the rule and figure shown; thresholds are the defaults of docs/reports.md unless the plan's `[health]` sets them.\n",
        r.as_of
    ));
    for g in &r.gaps {
        o.push_str(&format!("- {g}\n"));
    }
    o
}
