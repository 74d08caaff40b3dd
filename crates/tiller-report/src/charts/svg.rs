//! A small SVG writer: shapes and text with escaped content and fixed number
//! formatting, so the same chart is always the same bytes.

use chrono::{Datelike, NaiveDate};

use crate::util::esc;

/// Colours: the Okabe–Ito palette (distinguishable with colour-vision deficiencies),
/// always paired with a label, a pattern or a line style.
pub const BLUE: &str = "#0072B2";
pub const VERMILLION: &str = "#D55E00";
pub const GREEN: &str = "#009E73";
pub const ORANGE: &str = "#E69F00";
pub const SKY: &str = "#56B4E9";
pub const PURPLE: &str = "#CC79A7";
pub const GREY: &str = "#8a8a8a";
pub const LIGHT: &str = "#e6e6e6";
pub const INK: &str = "#222222";

/// Series styles for line charts: colour, dash pattern and marker.
pub const SERIES: [(&str, &str, Marker); 6] = [
    (BLUE, "", Marker::Circle),
    (VERMILLION, "6 3", Marker::Square),
    (GREEN, "2 2", Marker::Triangle),
    (PURPLE, "8 3 2 3", Marker::Diamond),
    (ORANGE, "4 4", Marker::Cross),
    (INK, "1 3", Marker::Circle),
];

#[derive(Debug, Clone, Copy)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

/// A number with at most one decimal, without a trailing `.0`.
pub fn n(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

pub struct Svg {
    id: String,
    width: f64,
    height: f64,
    title: String,
    desc: String,
    defs: String,
    body: String,
}

impl Svg {
    pub fn new(id: &str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
        Svg {
            id: id.to_string(),
            width,
            height,
            title: title.to_string(),
            desc: desc.to_string(),
            defs: String::new(),
            body: String::new(),
        }
    }

    /// A unique id for a definition inside this chart (charts share one HTML page).
    pub fn def_id(&self, name: &str) -> String {
        format!(
            "{}-{name}",
            self.id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        )
    }

    pub fn defs(&mut self, s: &str) {
        self.defs.push_str(s);
    }

    pub fn raw(&mut self, s: &str) {
        self.body.push_str(s);
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, style: &str) {
        self.body.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {style}/>\n",
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        ));
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, style: &str) {
        self.body.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {style}/>\n",
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        ));
    }

    pub fn path(&mut self, d: &str, style: &str) {
        self.body.push_str(&format!("<path d=\"{d}\" {style}/>\n"));
    }

    pub fn polyline(&mut self, points: &[(f64, f64)], style: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        self.body.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" {style}/>\n",
            pts.join(" ")
        ));
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    /// Light horizontal grid lines across `x0..x1` at the value axis's ticks,
    /// each labelled left of `x0` with `label(value)`.
    pub fn value_grid(&mut self, ys: &ValueAxis, x0: f64, x1: f64, label: impl Fn(f64) -> String) {
        for v in ys.ticks() {
            let y = ys.y(v);
            self.line(x0, y, x1, y, "stroke=\"#ececec\"");
            self.text(x0 - 4.0, y + 3.0, &label(v), "end", "font-size=\"10\"");
        }
    }

    /// The date axis along `y` from `x0` to `x1`: the base line, a tick at every
    /// grid date of `axis` and its label below.
    pub fn date_axis(&mut self, axis: &TimeAxis, x0: f64, x1: f64, y: f64) {
        let ink = format!("stroke=\"{INK}\"");
        self.line(x0, y, x1, y, &ink);
        for (x, label, _) in axis.ticks() {
            self.line(x, y, x, y + 4.0, &ink);
            if !label.is_empty() {
                self.text(x, y + 15.0, &label, "middle", "font-size=\"10\"");
            }
        }
    }

    pub fn text(&mut self, x: f64, y: f64, s: &str, anchor: &str, style: &str) {
        self.body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" {style}>{}</text>\n",
            n(x),
            n(y),
            esc(s)
        ));
    }

    /// The chart's heading: its title in bold and one line below it saying
    /// how to read it (every small chart starts this way).
    pub fn heading(&mut self, title: &str, subtitle: &str) {
        self.text(
            10.0,
            18.0,
            title,
            "start",
            "font-size=\"13\" font-weight=\"bold\"",
        );
        self.text(
            10.0,
            33.0,
            subtitle,
            "start",
            "font-size=\"11\" fill=\"#444444\"",
        );
    }

    /// A shape with a tooltip (shown by browsers on hover).
    pub fn titled(&mut self, element: &str, tip: &str) {
        match element.trim_end().strip_suffix("/>") {
            Some(open) => self.body.push_str(&format!(
                "{open}><title>{}</title></{}>\n",
                esc(tip),
                tag(element)
            )),
            None => self
                .body
                .push_str(&format!("<g><title>{}</title>{element}</g>\n", esc(tip))),
        }
    }

    pub fn marker(&mut self, m: Marker, x: f64, y: f64, colour: &str) {
        let s = 3.5;
        match m {
            Marker::Circle => self.body.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{colour}\"/>\n",
                n(x),
                n(y),
                n(s)
            )),
            Marker::Square => self.rect(
                x - s,
                y - s,
                2.0 * s,
                2.0 * s,
                &format!("fill=\"{colour}\""),
            ),
            Marker::Triangle => self.path(
                &format!(
                    "M{},{} L{},{} L{},{} Z",
                    n(x),
                    n(y - s - 0.5),
                    n(x + s),
                    n(y + s),
                    n(x - s),
                    n(y + s)
                ),
                &format!("fill=\"{colour}\""),
            ),
            Marker::Diamond => self.path(&diamond(x, y, s + 0.5), &format!("fill=\"{colour}\"")),
            Marker::Cross => {
                self.line(
                    x - s,
                    y - s,
                    x + s,
                    y + s,
                    &format!("stroke=\"{colour}\" stroke-width=\"2\""),
                );
                self.line(
                    x - s,
                    y + s,
                    x + s,
                    y - s,
                    &format!("stroke=\"{colour}\" stroke-width=\"2\""),
                );
            }
        }
    }

    pub fn finish(self) -> String {
        let id = esc(&self.id);
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-{id}\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"11\" fill=\"{INK}\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n<defs>{}</defs>\n<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{}</svg>\n",
            esc(&self.title),
            esc(&self.desc),
            self.defs,
            self.body,
            w = n(self.width),
            h = n(self.height),
        )
    }
}

fn tag(element: &str) -> String {
    element
        .trim_start_matches('<')
        .split([' ', '/', '>'])
        .next()
        .unwrap_or("g")
        .to_string()
}

/// The path of a diamond centred on (x, y).
pub fn diamond(x: f64, y: f64, r: f64) -> String {
    format!(
        "M{},{} L{},{} L{},{} L{},{} Z",
        n(x),
        n(y - r),
        n(x + r),
        n(y),
        n(x),
        n(y + r),
        n(x - r),
        n(y)
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Feb 15`.
pub fn short(d: NaiveDate) -> String {
    format!("{} {}", MONTHS[d.month0() as usize], d.day())
}

/// `Feb 2027`.
pub fn month(d: NaiveDate) -> String {
    format!("{} {}", MONTHS[d.month0() as usize], d.year())
}

/// A date axis: a date range mapped onto `x0..x1` (a day is the span from its start to
/// the next day's start).
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub x0: f64,
    pub x1: f64,
}

impl TimeAxis {
    pub fn new(start: NaiveDate, end: NaiveDate, x0: f64, x1: f64) -> TimeAxis {
        let end = if end <= start {
            start + chrono::Days::new(1)
        } else {
            end
        };
        TimeAxis { start, end, x0, x1 }
    }

    fn days(&self) -> f64 {
        (self.end - self.start).num_days() as f64
    }

    /// The x of the start of a day.
    pub fn x(&self, d: NaiveDate) -> f64 {
        self.x0 + (d - self.start).num_days() as f64 / self.days() * (self.x1 - self.x0)
    }

    /// The x of the end of a day.
    pub fn x_end(&self, d: NaiveDate) -> f64 {
        self.x(d + chrono::Days::new(1))
    }

    pub fn day_width(&self) -> f64 {
        (self.x1 - self.x0) / self.days()
    }

    /// Grid lines and labels: weeks (labelled every few) on short spans, months on long
    /// ones. Returns (x, label or empty, major).
    pub fn ticks(&self) -> Vec<(f64, String, bool)> {
        let mut out = Vec::new();
        let days = self.days();
        if days <= 120.0 {
            // Mondays; label every week, or every other week past 60 days.
            let step = if days <= 60.0 { 1 } else { 2 };
            let mut d = self.start;
            while d.weekday() != chrono::Weekday::Mon {
                d = d.succ_opt().unwrap_or(d);
            }
            let mut i = 0;
            while d <= self.end {
                out.push((
                    self.x(d),
                    if i % step == 0 {
                        short(d)
                    } else {
                        String::new()
                    },
                    d.day() <= 7,
                ));
                d = d + chrono::Days::new(7);
                i += 1;
            }
        } else {
            let mut d = NaiveDate::from_ymd_opt(self.start.year(), self.start.month(), 1)
                .unwrap_or(self.start);
            if d < self.start {
                d = d + chrono::Months::new(1);
            }
            let step = if days > 730.0 { 3 } else { 1 };
            let mut i = 0;
            while d <= self.end {
                out.push((
                    self.x(d),
                    if i % step == 0 {
                        month(d)
                    } else {
                        String::new()
                    },
                    true,
                ));
                d = d + chrono::Months::new(1);
                i += 1;
            }
        }
        out
    }
}

/// A linear value axis from 0 (or `lo`) to a rounded maximum, mapped onto `y0` (bottom)
/// to `y1` (top).
#[derive(Debug, Clone, Copy)]
pub struct ValueAxis {
    pub lo: f64,
    pub hi: f64,
    pub y0: f64,
    pub y1: f64,
}

impl ValueAxis {
    pub fn new(lo: f64, hi: f64, y0: f64, y1: f64) -> ValueAxis {
        let hi = if hi <= lo { lo + 1.0 } else { hi };
        ValueAxis { lo, hi, y0, y1 }
    }

    /// From `lo` to a "nice" maximum at or above `max`.
    pub fn nice(lo: f64, max: f64, y0: f64, y1: f64) -> ValueAxis {
        let span = (max - lo).max(1e-9);
        let step = nice_step(span / 5.0);
        ValueAxis::new(lo, lo + (span / step).ceil() * step, y0, y1)
    }

    pub fn y(&self, v: f64) -> f64 {
        self.y0 + (v - self.lo) / (self.hi - self.lo) * (self.y1 - self.y0)
    }

    /// About five round tick values.
    pub fn ticks(&self) -> Vec<f64> {
        let step = nice_step((self.hi - self.lo) / 5.0);
        let mut out = Vec::new();
        let mut v = (self.lo / step).ceil() * step;
        while v <= self.hi + step * 1e-6 {
            out.push(v);
            v += step;
        }
        out
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// `250k`, `1.2M`, `900`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", n(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", n(v / 1e3))
    } else {
        n(v)
    }
}

/// Shortens text to `max` characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_same_way_every_time() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.04), "1");
        assert_eq!(n(1.05), "1.1");
        assert_eq!(n(-2.5), "-2.5");
        assert_eq!(compact(250_000.0), "250k");
        assert_eq!(compact(1_250_000.0), "1.3M");
    }

    #[test]
    fn value_axes_round_up_to_nice_maxima() {
        let a = ValueAxis::nice(0.0, 721_355.0, 100.0, 0.0);
        assert_eq!(a.hi, 800_000.0);
        assert_eq!(a.ticks().len(), 5);
        assert_eq!(a.y(0.0), 100.0);
        assert_eq!(a.y(800_000.0), 0.0);
    }

    #[test]
    fn tooltips_close_the_element() {
        let mut s = Svg::new("x", 10.0, 10.0, "t", "d");
        s.titled("<rect x=\"1\" y=\"1\" width=\"2\" height=\"2\"/>", "a < b");
        let out = s.finish();
        assert!(out.contains(
            "<rect x=\"1\" y=\"1\" width=\"2\" height=\"2\"><title>a &lt; b</title></rect>"
        ));
    }
}
