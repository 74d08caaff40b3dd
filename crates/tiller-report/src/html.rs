//! The status report as one self-contained HTML file: inline CSS, inline SVG charts,
//! no scripts, no external resources. Every colour badge carries its label and a
//! shape (● green, ▲ amber, ■ red).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::charts::Chart;
use crate::status::StatusReport;
use crate::util::{capitalise, esc, pct, rag_label, wdays};

const STYLE: &str = r#"
:root { --ink: #222; --muted: #555; --line: #d9d9d9; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: var(--ink); margin: 0; background: #f6f6f4; font-size: 14px; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 14px; }
.headline { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; margin: 10px 0 4px; font-size: 16px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f0ee; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; background: #f3f3f1; padding: 0 3px; border-radius: 3px; }
.rag { display: inline-block; min-width: 92px; padding: 2px 8px; border-radius: 4px; font-weight: bold; font-size: 12px; letter-spacing: 0.04em; border: 1px solid rgba(0,0,0,0.25); white-space: nowrap; }
.rag-green { background: #2e7d32; color: #fff; }
.rag-amber { background: #f2b01e; color: #222; }
.rag-red { background: #c62828; color: #fff; }
.rag-none { background: #e0e0e0; color: #222; }
.overdue { color: #b71c1c; font-weight: bold; }
.summary li { margin: 4px 0; }
.ask { border: 2px solid #222; padding: 10px 14px; margin: 12px 0; background: #fffdf3; }
.ask h2 { border: 0; margin: 0 0 6px; padding: 0; }
figure { margin: 14px 0 20px; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 20px; }
.muted { color: var(--muted); }
.d { white-space: nowrap; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } main { max-width: none; padding: 0; } figure, table { break-inside: avoid; } }
"#;

fn badge(c: Option<&str>) -> String {
    match c {
        Some("green") => "<span class=\"rag rag-green\">● GREEN</span>".to_string(),
        Some("amber") => "<span class=\"rag rag-amber\">▲ AMBER</span>".to_string(),
        Some("red") => "<span class=\"rag rag-red\">■ RED</span>".to_string(),
        _ => "<span class=\"rag rag-none\">NOT ASSESSED</span>".to_string(),
    }
}

fn rag_badge(c: Option<tiller_core::Rag>) -> String {
    badge(c.map(|c| c.key()))
}

fn d(x: Option<NaiveDate>) -> String {
    x.map_or_else(|| "–".to_string(), date)
}

/// A date that never breaks across lines.
fn date(d: NaiveDate) -> String {
    format!("<span class=\"d\">{d}</span>")
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "–".to_string(), esc)
}

/// Inline Markdown-style code spans (`id`) to HTML.
fn inline(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    let mut open = false;
    for part in e.split('`') {
        if !out.is_empty() || open {
            out.push_str(if open { "<code>" } else { "</code>" });
        }
        out.push_str(part);
        open = !open;
    }
    // An odd number of backticks leaves a <code> open.
    if !open {
        out.push_str("</code>");
    }
    out
}

struct Figures<'a> {
    charts: &'a [Chart],
    used: BTreeSet<String>,
}

impl Figures<'_> {
    fn figure(c: &Chart) -> String {
        format!(
            "<figure id=\"fig-{}\"><h3>{}</h3>\n{}<figcaption>{}</figcaption></figure>\n",
            esc(&c.id),
            inline(&c.title),
            c.svg,
            esc(&c.caption)
        )
    }

    /// The charts whose id starts with `prefix`, once each.
    fn take(&mut self, prefix: &str) -> String {
        let mut out = String::new();
        for c in self.charts {
            if c.id.starts_with(prefix) && self.used.insert(c.id.clone()) {
                out.push_str(&Self::figure(c));
            }
        }
        out
    }

    fn rest(&mut self) -> String {
        let mut out = String::new();
        for c in self.charts {
            if self.used.insert(c.id.clone()) {
                out.push_str(&Self::figure(c));
            }
        }
        out
    }
}

/// Renders a status report as a self-contained HTML page.
pub fn render(r: &StatusReport) -> String {
    let mut figs = Figures {
        charts: &r.charts,
        used: BTreeSet::new(),
    };
    let mut o = String::new();
    let title = format!("{} — status report as of {}", r.program, r.as_of);
    o.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    ));
    o.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    o.push_str(&format!(
        "<div class=\"headline\" id=\"overall\"><strong>Overall</strong> {} <span>{}</span></div>\n",
        rag_badge(r.health.overall),
        esc(&match &r.health.previous {
            Some(p) if p.source.starts_with("the report of") => format!(
                "was {} on {}: {}",
                rag_label(p.overall),
                p.date,
                crate::util::transition(r.health.overall, p.overall)
            ),
            Some(p) => format!(
                "was {} on {} ({}): {}",
                rag_label(p.overall),
                p.date,
                p.source,
                crate::util::transition(r.health.overall, p.overall)
            ),
            None => "no earlier report to compare with".to_string(),
        })
    ));
    let mut meta = vec![format!("Audience: {}", r.audience)];
    if let Some(b) = &r.baseline {
        meta.push(format!("baseline {b}"));
    }
    if let Some(f) = &r.forecast {
        meta.push(format!("forecast: {f}"));
    }
    o.push_str(&format!(
        "<p class=\"meta\">{}</p>\n",
        esc(&meta.join(" · "))
    ));
    if let Some(pf) = &r.prepared_for {
        o.push_str(&format!(
            "<p class=\"meta\">Prepared for <strong>{}</strong>{}{}</p>\n",
            esc(&pf.name),
            pf.role
                .as_deref()
                .map(|x| format!(" ({})", esc(x)))
                .unwrap_or_default(),
            esc(&match (pf.cadence, &pf.channel) {
                (Some(c), Some(ch)) => format!(" — {c} via {ch}"),
                (Some(c), None) => format!(" — {c}"),
                (None, Some(ch)) => format!(" — via {ch}"),
                (None, None) => String::new(),
            })
        ));
    }

    o.push_str("<section id=\"summary\"><h2>Summary</h2>\n<ul class=\"summary\">\n");
    for s in &r.summary {
        o.push_str(&format!("<li>{}</li>\n", inline(s)));
    }
    o.push_str("</ul></section>\n");

    o.push_str("<section id=\"ask\" class=\"ask\"><h2>The ask</h2>\n");
    if r.asks.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<ul>\n");
        for a in &r.asks {
            o.push_str(&format!(
                "<li><code>{}</code>{}{}: {}</li>\n",
                esc(&a.id),
                a.owner
                    .as_deref()
                    .map(|x| format!(" ({})", esc(x)))
                    .unwrap_or_default(),
                a.by.map(|x| format!(", by {x}")).unwrap_or_default(),
                inline(&a.text)
            ));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");

    o.push_str("<section id=\"health\"><h2>Health</h2>\n<table><thead><tr><th>Dimension</th><th>Colour</th><th>Previous</th><th>Why</th><th>Rule, figure and thresholds</th></tr></thead><tbody>\n");
    for dim in &r.health.dimensions {
        let w = dim
            .findings
            .iter()
            .find(|f| Some(f.colour) == dim.colour && f.message == dim.reason);
        let prev = r.health.previous.as_ref().map_or_else(
            || "–".to_string(),
            |p| rag_badge(p.dimension(dim.dimension)),
        );
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            capitalise(dim.dimension.key()),
            rag_badge(dim.colour),
            prev,
            inline(&dim.reason),
            w.map_or_else(
                || "–".to_string(),
                |f| format!(
                    "<code>{}</code>: {}<br><span class=\"muted\">{}</span>",
                    f.rule,
                    inline(&f.figure),
                    esc(&f.threshold)
                )
            )
        ));
    }
    o.push_str(&format!(
        "</tbody></table>\n<p class=\"muted\">Overall is the worst dimension, never an average: {}.</p>\n</section>\n",
        inline(&r.health.overall_reason)
    ));

    o.push_str("<section id=\"milestones\"><h2>Milestones</h2>\n<table><thead><tr><th>Milestone</th><th>Baseline</th><th>Forecast</th><th>P50</th><th>P80</th><th class=\"num\">Variance</th><th>Promised</th><th class=\"num\">P(on time)</th><th>Colour</th></tr></thead><tbody>\n");
    for m in &r.milestones {
        o.push_str(&format!(
            "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td title=\"{}\">{}</td></tr>\n",
            esc(&m.id),
            esc(&m.name),
            d(m.baseline),
            date(m.forecast),
            if m.done { " (reached)" } else { "" },
            d(m.p50),
            d(m.p80),
            m.variance.map_or_else(|| "–".to_string(), |v| format!("{v:+}d")),
            d(m.promised),
            m.probability.map_or_else(|| "–".to_string(), pct),
            esc(&m.reason),
            if m.id == "program" { "–".to_string() } else { badge(m.colour) }
        ));
    }
    o.push_str("</tbody></table>\n<p class=\"muted\">Forecast is the critical-path date; variance is P80 (or the actual date) against the baseline, in working days.</p>\n");
    o.push_str(&figs.take("gantt"));
    let forecasts = figs.take("forecast-");
    if !forecasts.is_empty() {
        o.push_str(&format!(
            "<h3>Forecasts</h3>\n<div class=\"grid\">{forecasts}</div>\n"
        ));
    }
    o.push_str(&figs.take("drift"));
    o.push_str(&figs.take("burn-up"));
    o.push_str("</section>\n");

    let acc = &r.accomplishments;
    o.push_str(&format!(
        "<section id=\"accomplishments\"><h2>Done since {}</h2>\n<p class=\"muted\">Since {}.</p>\n",
        acc.since,
        esc(&acc.since_source)
    ));
    if acc.finished.is_empty() && acc.decisions.is_empty() {
        o.push_str("<p>Nothing finished.</p>\n");
    } else {
        o.push_str("<ul>\n");
        for f in &acc.finished {
            o.push_str(&format!(
                "<li>{}<code>{}</code> {} — {}{}</li>\n",
                if f.milestone { "milestone " } else { "" },
                esc(&f.id),
                esc(&f.name),
                f.date,
                f.team
                    .as_deref()
                    .map(|t| format!(" ({})", esc(t)))
                    .unwrap_or_default()
            ));
        }
        for x in &acc.decisions {
            o.push_str(&format!("<li>{}</li>\n", inline(x)));
        }
        o.push_str("</ul>\n");
    }
    if !acc.notes.is_empty() {
        o.push_str("<h3>Notes from the teams</h3>\n<ul>\n");
        for n in &acc.notes {
            o.push_str(&format!(
                "<li><code>{}</code> ({}): {}</li>\n",
                esc(&n.task),
                n.date,
                esc(&n.note)
            ));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");

    o.push_str(&format!(
        "<section id=\"risks\"><h2>{}</h2>\n",
        if r.is_exec() {
            "Top risks"
        } else {
            "Open risks"
        }
    ));
    if r.risks.is_empty() {
        o.push_str("<p>No open threats.</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>Risk</th><th>Level (P×I)</th><th>Owner</th><th>Mitigation</th><th>Due</th><th class=\"num\">P80 effect</th><th>Ask</th></tr></thead><tbody>\n");
        for x in &r.risks {
            o.push_str(&format!(
                "<tr><td><code>{}</code> {}</td><td>{} ({}×{}={})</td><td>{}</td><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                esc(&x.id),
                esc(&x.title),
                x.level,
                x.probability_band,
                x.impact,
                x.score,
                opt(&x.owner),
                opt(&x.mitigation),
                d(x.mitigation_due),
                if x.overdue { " <span class=\"overdue\">OVERDUE</span>" } else { "" },
                x.p80_days.map_or_else(|| "–".to_string(), wdays),
                opt(&x.ask)
            ));
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str(&figs.take("risk-matrix"));
    o.push_str("<h3>Open issues</h3>\n");
    if r.issues.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>Issue</th><th>Severity</th><th>Owner</th><th>Due</th><th>Ask</th></tr></thead><tbody>\n");
        for i in &r.issues {
            o.push_str(&format!(
                "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>\n",
                esc(&i.id),
                esc(&i.title),
                i.severity,
                opt(&i.owner),
                d(i.due),
                if i.overdue { " <span class=\"overdue\">OVERDUE</span>" } else { "" },
                opt(&i.ask)
            ));
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</section>\n");

    o.push_str("<section id=\"dependencies\"><h2>Cross-team dependencies at risk</h2>\n");
    if r.dependencies.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>Team</th><th>Waits on</th><th>Task</th><th>After</th><th>Upstream finish</th><th>Why at risk</th></tr></thead><tbody>\n");
        for x in &r.dependencies {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code> {}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&x.waiting),
                esc(&x.upstream),
                esc(&x.task),
                esc(&x.after),
                esc(&x.link),
                x.upstream_finish,
                inline(&x.reasons.join("; "))
            ));
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</section>\n");

    o.push_str("<section id=\"decisions\"><h2>Decisions needed</h2>\n");
    if r.decisions.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<table><thead><tr><th>Decision</th><th>Owner</th><th>Needed by</th><th>Affects</th></tr></thead><tbody>\n");
        for x in &r.decisions {
            o.push_str(&format!(
                "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>\n",
                esc(&x.id),
                esc(&x.title),
                opt(&x.owner),
                d(x.needed_by),
                if x.overdue {
                    " <span class=\"overdue\">OVERDUE</span>"
                } else {
                    ""
                },
                x.affects
                    .iter()
                    .map(|a| format!("<code>{}</code>", esc(a)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</section>\n");

    o.push_str("<section id=\"budget\"><h2>Budget</h2>\n");
    match &r.budget {
        None => {
            o.push_str("<p>Not measured: earned value needs a baseline and a status date.</p>\n")
        }
        Some(b) => {
            o.push_str(&format!(
                "<table class=\"budget\"><thead><tr><th>{}</th><th class=\"num\">Amount</th></tr></thead><tbody>\n",
                esc(&b.currency)
            ));
            let mut row = |k: &str, v: String| {
                o.push_str(&format!(
                    "<tr><td>{k}</td><td class=\"num\">{}</td></tr>\n",
                    esc(&v)
                ))
            };
            for (k, v) in b.rows() {
                row(k, v);
            }
            o.push_str("</tbody></table>\n");
        }
    }
    o.push_str(&figs.take("evm"));
    o.push_str("</section>\n");

    o.push_str(&format!(
        "<section id=\"changes\"><h2>What changed</h2>\n<p class=\"muted\">Compared with {}.</p>\n",
        inline(&r.changes.against)
    ));
    if r.changes.items.is_empty() {
        o.push_str("<p>Nothing to compare with.</p>\n");
    } else {
        o.push_str("<ul>\n");
        for c in &r.changes.items {
            o.push_str(&format!("<li>{}</li>\n", inline(c)));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");

    if !r.workstreams.is_empty() {
        o.push_str("<section id=\"workstreams\"><h2>Workstreams</h2>\n<table><thead><tr><th>Workstream</th><th>Colour</th><th>Why</th></tr></thead><tbody>\n");
        for w in &r.workstreams {
            o.push_str(&format!(
                "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&w.id),
                esc(&w.name),
                rag_badge(w.colour),
                inline(&w.reason)
            ));
        }
        o.push_str("</tbody></table>\n");
        o.push_str(&figs.take("load"));
        o.push_str("</section>\n");
    }
    if !r.is_exec() {
        o.push_str("<section id=\"upcoming\"><h2>Starting in the next two weeks</h2>\n");
        if r.upcoming.is_empty() {
            o.push_str("<p>Nothing new starts.</p>\n");
        } else {
            o.push_str("<table><thead><tr><th>Task</th><th>Team</th><th>Start</th><th>Finish</th><th class=\"num\">Float</th></tr></thead><tbody>\n");
            for u in &r.upcoming {
                o.push_str(&format!(
                    "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}{}</td></tr>\n",
                    esc(&u.id),
                    esc(&u.name),
                    opt(&u.team),
                    u.start,
                    u.finish,
                    u.float,
                    if u.critical { " (critical)" } else { "" }
                ));
            }
            o.push_str("</tbody></table>\n");
        }
        if !r.critical_path.is_empty() {
            o.push_str(&format!(
                "<p>Critical path: {}</p>\n",
                r.critical_path
                    .iter()
                    .map(|t| format!("<code>{}</code>", esc(t)))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
        o.push_str("</section>\n");
    }
    if let Some(pf) = &r.prepared_for
        && !pf.raci.is_empty()
    {
        o.push_str(&format!(
            "<section id=\"raci\"><h2>{}'s part (RACI)</h2>\n<table><thead><tr><th>Role</th><th>Item</th><th>Finish</th><th>Colour</th></tr></thead><tbody>\n",
            esc(&pf.name)
        ));
        for l in &pf.raci {
            o.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code> {}</td><td>{}</td><td>{}</td></tr>\n",
                l.role,
                esc(&l.id),
                esc(&l.name),
                l.finish,
                badge(l.colour)
            ));
        }
        o.push_str("</tbody></table></section>\n");
    }
    if !r.stakeholders.is_empty() {
        o.push_str("<section id=\"stakeholders\"><h2>Stakeholders and communication plan</h2>\n<table><thead><tr><th>Stakeholder</th><th>Role</th><th>Interest / influence</th><th>Engagement</th><th>Report</th><th>Cadence</th><th>Channel</th></tr></thead><tbody>\n");
        for s in &r.stakeholders {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&s.name),
                opt(&s.role),
                s.interest.unwrap_or("–"),
                s.influence.unwrap_or("–"),
                s.engagement.unwrap_or("–"),
                s.audience,
                s.cadence.unwrap_or("–"),
                opt(&s.channel)
            ));
        }
        o.push_str("</tbody></table></section>\n");
    }
    let rest = figs.rest();
    if !rest.is_empty() {
        o.push_str(&format!(
            "<section id=\"charts\"><h2>More charts</h2>\n{rest}</section>\n"
        ));
    }
    o.push_str(&format!(
        "<footer id=\"about\"><p>Drafted by <code>tiller report</code> from the plan as of {}. Each colour is set by the rule and the figure shown next to it; thresholds are the defaults of docs/reports.md unless the plan's <code>[health]</code> sets them.</p>\n",
        r.as_of
    ));
    if !r.gaps.is_empty() {
        o.push_str("<ul>\n");
        for g in &r.gaps {
            o.push_str(&format!("<li>{}</li>\n", inline(g)));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</footer>\n</main>\n</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn code_spans_become_code_elements() {
        assert_eq!(
            inline("`m.ga` is <late>"),
            "<code>m.ga</code> is &lt;late&gt;"
        );
        assert_eq!(inline("no code"), "no code");
        assert_eq!(inline("a `b"), "a <code>b</code>");
    }
}
