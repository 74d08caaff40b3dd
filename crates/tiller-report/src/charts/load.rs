//! The load heatmap: work asked of each team, person and shared resource per week,
//! as a share of what they have; each cell is labelled with its percentage, and
//! over-allocated cells are outlined and marked `!`.

use chrono::Datelike;
use tiller_engine::level::{LoadHolder, LoadReport};

use super::Chart;
use super::svg::{INK, Svg, VERMILLION, clip, n};
use crate::evidence::Evidence;
use crate::util::date_after;

/// Weeks shown at most.
pub const MAX_WEEKS: usize = 16;

pub fn heatmap(e: &Evidence<'_>, load: &LoadReport) -> Option<Chart> {
    let p = e.program;
    let status_day = (e.status_date - p.start).num_days();
    let finish_day = (e.schedule.finish_date_of_program() - p.start).num_days();
    let weeks: Vec<usize> = load
        .weeks
        .iter()
        .enumerate()
        .filter(|(_, w)| **w + 6 > status_day && **w <= finish_day)
        .map(|(i, _)| i)
        .take(MAX_WEEKS)
        .collect();
    if weeks.is_empty() || load.rows.is_empty() {
        return None;
    }
    let label_w = 170.0;
    let cell_w = 46.0;
    let row_h = 17.0;
    let top = 58.0;
    let w = label_w + cell_w * weeks.len() as f64 + 20.0;
    let h = top + row_h * load.rows.len() as f64 + 46.0;
    let title = format!("{} — weekly load", p.name);
    let over_cells = load
        .rows
        .iter()
        .map(|r| weeks.iter().filter(|&&i| r.weeks[i].over).count())
        .sum::<usize>();
    let desc = format!(
        "Work assigned ÷ work available per week from {} ({} weeks, critical-path schedule, not leveled); {} over-allocated cells marked with !.",
        date_after(p.start, load.weeks[weeks[0]]),
        weeks.len(),
        over_cells
    );
    let mut g = Svg::new("load", w, h, &title, &desc);
    g.heading(
        &title,
        "work assigned ÷ work available; ! = over-allocated that week or on one of its days",
    );
    for (k, &i) in weeks.iter().enumerate() {
        let d = date_after(p.start, load.weeks[i]);
        g.text(
            label_w + cell_w * k as f64 + cell_w / 2.0,
            top - 6.0,
            &format!("{:02}-{:02}", d.month(), d.day()),
            "middle",
            "font-size=\"10\"",
        );
    }
    for (r, row) in load.rows.iter().enumerate() {
        let y = top + row_h * r as f64;
        let (name, bold, indent) = match row.holder {
            LoadHolder::Team(t) => (crate::util::team_name(p, t), true, 0.0),
            LoadHolder::Person(x) => {
                let person = p.person(x);
                (
                    person.name.clone().unwrap_or_else(|| person.id.clone()),
                    false,
                    if person.team.is_some() { 12.0 } else { 0.0 },
                )
            }
            LoadHolder::Shared(x) => {
                let res = &p.resources[x.index()];
                (
                    format!(
                        "{} (shared)",
                        res.name.clone().unwrap_or_else(|| res.id.clone())
                    ),
                    true,
                    0.0,
                )
            }
        };
        g.text(
            6.0 + indent,
            y + row_h / 2.0 + 4.0,
            &clip(&name, 26),
            "start",
            if bold { "font-weight=\"bold\"" } else { "" },
        );
        for (k, &i) in weeks.iter().enumerate() {
            let c = row.weeks[i];
            let x = label_w + cell_w * k as f64;
            let (fill, opacity, text) = if c.capacity <= 0 {
                if c.assigned > 0 {
                    (VERMILLION, 0.9, "no cap.!".to_string())
                } else {
                    ("#bdbdbd", 0.35, "–".to_string())
                }
            } else {
                let l = c.assigned as f64 / c.capacity as f64;
                let text = format!(
                    "{}%{}",
                    n((l * 100.0).round()),
                    if c.over { "!" } else { "" }
                );
                if l > 1.0 {
                    (VERMILLION, (0.35 + (l - 1.0)).min(0.9), text)
                } else {
                    ("#0072B2", (l * 0.6).min(0.6), text)
                }
            };
            let border = if c.over {
                format!("stroke=\"{INK}\" stroke-width=\"2\"")
            } else {
                "stroke=\"#ffffff\" stroke-width=\"1\"".to_string()
            };
            g.rect(
                x,
                y,
                cell_w,
                row_h,
                &format!("fill=\"{fill}\" fill-opacity=\"{opacity:.2}\" {border}"),
            );
            g.text(
                x + cell_w / 2.0,
                y + row_h / 2.0 + 4.0,
                &text,
                "middle",
                if c.over {
                    "font-size=\"10\" font-weight=\"bold\""
                } else if c.assigned == 0 {
                    "font-size=\"10\" fill=\"#8a8a8a\""
                } else {
                    "font-size=\"10\""
                },
            );
        }
    }
    // Legend.
    let ly = h - 16.0;
    let items = [
        ("#0072B2", 0.15, "light: little work"),
        ("#0072B2", 0.6, "dark: fully booked"),
        (VERMILLION, 0.6, "over 100%: over-allocated (!)"),
        ("#bdbdbd", 0.35, "– away / no capacity"),
    ];
    let mut lx = 10.0;
    for (fill, op, label) in items {
        g.rect(
            lx,
            ly - 10.0,
            18.0,
            12.0,
            &format!("fill=\"{fill}\" fill-opacity=\"{op}\" stroke=\"{INK}\" stroke-width=\"0.5\""),
        );
        g.text(lx + 24.0, ly, label, "start", "font-size=\"10\"");
        lx += 40.0 + 6.0 * label.len() as f64;
    }
    Some(Chart {
        id: "load".to_string(),
        title: "Weekly load".to_string(),
        caption: desc,
        svg: g.finish(),
    })
}
