//! Primavera P6 XER → plan.
//!
//! An XER file is tab-separated tables (`%T` name, `%F` field names, `%R` rows), usually
//! in Windows-1252. Durations and lags are hours, converted to days with the hours per
//! day of the calendar they run on. The WBS becomes summary tasks (the project node at
//! the top, as P6 and MPXJ show it), activities become tasks and milestones, and
//! calendars are read from the nested `clndr_data` text.

use std::collections::HashMap;

use chrono::NaiveDate;
use tiller_core::DepKind;

use crate::common::{add_days, parse_date, parse_datetime, parse_f64, whole_days};
use crate::error::{ImportError, Result};
use crate::ids;
use crate::plan::{Cal, Dep, Person, Plan, Progress, RatePer, Resource, Status, Task, Work};

pub const FORMAT: &str = "Primavera P6 XER";
const SHORT: &str = "XER";

/// One `%T` table: its fields and rows, each row with the line it came from.
#[derive(Debug, Default)]
pub struct Table {
    pub fields: Vec<String>,
    index: HashMap<String, usize>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn col(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// A row with named access.
pub struct Row<'a> {
    table: &'a Table,
    values: &'a [String],
    pub line: usize,
}

impl<'a> Row<'a> {
    pub fn get(&self, field: &str) -> Option<&'a str> {
        let i = self.table.col(field)?;
        self.values
            .get(i)
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
    }
}

pub struct Xer {
    pub tables: HashMap<String, Table>,
}

impl Xer {
    pub fn rows<'a>(&'a self, table: &str) -> impl Iterator<Item = Row<'a>> + 'a {
        let t = self.tables.get(table);
        t.into_iter().flat_map(move |t| {
            t.rows.iter().map(move |(line, values)| Row {
                table: t,
                values,
                line: *line,
            })
        })
    }
}

/// Splits the file into tables. Rows before a `%F` line, or a file that does not start
/// with `ERMHDR`, are errors with their line.
pub fn parse_tables(text: &str) -> Result<Xer> {
    let mut tables: HashMap<String, Table> = HashMap::new();
    let mut current: Option<String> = None;
    let mut saw_header = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split('\t');
        let tag = parts.next().unwrap_or("");
        match tag {
            "ERMHDR" => saw_header = true,
            "%T" => {
                let name = parts.next().unwrap_or("").trim().to_string();
                if name.is_empty() {
                    return Err(ImportError::new("a %T line has no table name")
                        .format(SHORT)
                        .line(line_no)
                        .expected("%T<TAB>TABLE_NAME"));
                }
                tables.entry(name.clone()).or_default();
                current = Some(name);
            }
            "%F" => {
                let Some(t) = current.as_ref().and_then(|c| tables.get_mut(c)) else {
                    return Err(ImportError::new("field names (%F) before any table (%T)")
                        .format(SHORT)
                        .line(line_no)
                        .expected("a %T line first"));
                };
                t.fields = parts.map(|s| s.trim().to_string()).collect();
                t.index = t
                    .fields
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, f)| (f.clone(), i))
                    .collect();
            }
            "%R" => {
                let name = current.clone().unwrap_or_default();
                let Some(t) = tables.get_mut(&name) else {
                    return Err(ImportError::new("a row (%R) before any table (%T)")
                        .format(SHORT)
                        .line(line_no)
                        .expected("%T and %F lines first"));
                };
                if t.fields.is_empty() {
                    return Err(ImportError::new(format!(
                        "a row of table {name} before its field names (%F)"
                    ))
                    .format(SHORT)
                    .line(line_no)
                    .expected("a %F line after %T"));
                }
                t.rows.push((line_no, parts.map(str::to_string).collect()));
            }
            "%E" => break,
            _ if !saw_header => {
                return Err(
                    ImportError::new("the file does not start with an ERMHDR line")
                        .format(SHORT)
                        .line(line_no)
                        .expected("ERMHDR<TAB>version ... (a Primavera P6 XER export)"),
                );
            }
            _ => {
                // Data that spills over a line break inside a field (memo fields): P6
                // escapes these, so a stray line is only worth skipping.
            }
        }
    }
    if !saw_header {
        return Err(
            ImportError::new("the file does not start with an ERMHDR line")
                .format(SHORT)
                .line(1)
                .expected("ERMHDR<TAB>version ... (a Primavera P6 XER export)"),
        );
    }
    Ok(Xer { tables })
}

// ----------------------------------------------------------------------------- clndr_data

/// A node of P6's calendar notation: `(0||name(k|v|k|v)(children))`.
#[derive(Debug, Default)]
struct CNode {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<CNode>,
}

impl CNode {
    fn child(&self, name: &str) -> Option<&CNode> {
        self.children.iter().find(|c| c.name == name)
    }
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
}

struct CParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl CParser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_whitespace() || self.s[self.pos] == 0x7f)
        {
            self.pos += 1;
        }
    }
    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.s.get(self.pos) == Some(&b)).then(|| self.pos += 1)
    }
    fn until(&mut self, stop: u8) -> Option<String> {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos] != stop {
            self.pos += 1;
        }
        (self.pos < self.s.len()).then(|| {
            String::from_utf8_lossy(&self.s[start..self.pos])
                .trim()
                .to_string()
        })
    }
    fn node(&mut self, depth: usize) -> Option<CNode> {
        if depth > 32 {
            return None;
        }
        self.eat(b'(')?;
        self.skip_ws();
        // "0||name"
        let head = self.until(b'(')?;
        let name = head.rsplit("||").next().unwrap_or("").trim().to_string();
        self.eat(b'(')?;
        let attr_text = self.until(b')')?;
        self.eat(b')')?;
        let parts: Vec<&str> = attr_text.split('|').collect();
        let attrs = parts
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].trim().to_string(), c[1].trim().to_string()))
            .collect();
        self.eat(b'(')?;
        let mut children = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                Some(b'(') => children.push(self.node(depth + 1)?),
                _ => return None,
            }
        }
        self.eat(b')')?;
        Some(CNode {
            name,
            attrs,
            children,
        })
    }
}

fn hhmm(s: &str) -> Option<f64> {
    let (h, m) = s.trim().split_once(':')?;
    Some(h.parse::<f64>().ok()? + m.parse::<f64>().ok()? / 60.0)
}

fn range_hours(n: &CNode) -> f64 {
    let (Some(s), Some(f)) = (n.attr("s").and_then(hhmm), n.attr("f").and_then(hhmm)) else {
        return 0.0;
    };
    let f = if f <= s { f + 24.0 } else { f };
    f - s
}

/// P6 exception dates are day numbers counted from 1899-12-30 (as spreadsheets do).
fn serial_date(n: &str) -> Option<NaiveDate> {
    let days: i64 = n.trim().parse().ok()?;
    if !(0..=200_000).contains(&days) {
        return None;
    }
    Some(add_days(NaiveDate::from_ymd_opt(1899, 12, 30)?, days))
}

struct CalData {
    workweek: [bool; 7],
    hours: Option<f64>,
    off: Vec<NaiveDate>,
    on: usize,
}

fn parse_clndr_data(text: &str) -> Option<CalData> {
    let mut p = CParser {
        s: text.as_bytes(),
        pos: 0,
    };
    let root = p.node(0)?;
    let mut workweek = [false; 7];
    let mut hours = None;
    let dows = root.child("DaysOfWeek")?;
    for d in &dows.children {
        // 1 = Sunday ... 7 = Saturday
        let Ok(n) = d.name.parse::<usize>() else {
            continue;
        };
        if !(1..=7).contains(&n) {
            continue;
        }
        let idx = (n + 5) % 7;
        let h: f64 = d.children.iter().map(range_hours).sum();
        if !d.children.is_empty() && h > 0.0 {
            workweek[idx] = true;
            if hours.is_none() {
                hours = Some(h);
            }
        }
    }
    let mut off = Vec::new();
    let mut on = 0;
    if let Some(ex) = root.child("Exceptions") {
        for e in &ex.children {
            let Some(d) = e.attr("d").and_then(serial_date) else {
                continue;
            };
            if e.children.is_empty() {
                off.push(d);
            } else {
                on += 1;
            }
        }
    }
    Some(CalData {
        workweek,
        hours,
        off,
        on,
    })
}

// ----------------------------------------------------------------------------- import

fn hours(row: &Row<'_>, field: &str) -> Option<f64> {
    row.get(field).and_then(parse_f64)
}

pub fn import(text: &str, plan: &mut Plan, progress_wanted: bool) -> Result<()> {
    let xer = parse_tables(text)?;
    plan.format = FORMAT;
    let Some(project) = xer.rows("PROJECT").next() else {
        return Err(ImportError::new("the file has no PROJECT table row")
            .format(SHORT)
            .expected("an exported project"));
    };
    let nprojects = xer.rows("PROJECT").count();
    let proj_id = project.get("proj_id").unwrap_or("").to_string();
    if nprojects > 1 {
        plan.header.push(format!(
            "the file holds {nprojects} projects; the first ({}) is imported",
            project.get("proj_short_name").unwrap_or(&proj_id)
        ));
        plan.note("further projects in the file not imported");
    }
    let in_project = |r: &Row<'_>| r.get("proj_id").is_none_or(|p| p == proj_id);
    if let Some(hdr) = text.lines().next() {
        let cur = hdr
            .trim_end_matches('\r')
            .rsplit('\t')
            .next()
            .unwrap_or("")
            .trim();
        if cur.len() == 3 && cur.chars().all(|c| c.is_ascii_uppercase()) {
            plan.currency = Some(cur.to_string());
        }
    }
    // The data date is the moment remaining work resumes (usually midnight or the
    // start of a working day): the status is as of the end of the day before.
    let data_date = project
        .get("last_recalc_date")
        .and_then(crate::common::finish_date);
    plan.status_date = data_date;

    // Calendars.
    struct CalInfo {
        index: usize,
        hpd: f64,
    }
    let mut cal_info: HashMap<String, CalInfo> = HashMap::new();
    let mut cal_rows: Vec<Row<'_>> = xer.rows("CALENDAR").collect();
    cal_rows.sort_by_key(|r| r.line);
    let tasks_rows: Vec<Row<'_>> = xer.rows("TASK").filter(|r| in_project(r)).collect();
    let mut use_count: HashMap<&str, usize> = HashMap::new();
    for t in &tasks_rows {
        if let Some(c) = t.get("clndr_id") {
            *use_count.entry(c).or_default() += 1;
        }
    }
    for c in &cal_rows {
        let Some(id) = c.get("clndr_id") else {
            continue;
        };
        let name = c.get("clndr_name").unwrap_or(id).to_string();
        let day_hr = hours(c, "day_hr_cnt").filter(|h| *h > 0.0 && *h <= 24.0);
        let mut notes = Vec::new();
        let data = c.get("clndr_data").and_then(parse_clndr_data);
        let (workweek, hrs, off) = match data {
            Some(d) => {
                if d.on > 0 {
                    notes.push(format!("{} working exceptions (extra working days or changed hours) dropped: Tiller holidays only remove days", d.on));
                    plan.note("working calendar exceptions dropped");
                }
                let ww = if d.workweek.iter().any(|w| *w) {
                    d.workweek
                } else {
                    [true, true, true, true, true, false, false]
                };
                (ww, d.hours, d.off)
            }
            None => {
                if c.get("clndr_data").is_some() {
                    notes.push(format!(
                        "its clndr_data (line {}) cannot be read: Monday to Friday assumed",
                        c.line
                    ));
                    plan.note("unreadable calendar definitions replaced by Monday to Friday");
                }
                (
                    [true, true, true, true, true, false, false],
                    None,
                    Vec::new(),
                )
            }
        };
        let hpd = day_hr.or(hrs).unwrap_or(8.0);
        plan.calendars.push(Cal {
            id_hint: ids::slug(&name),
            name,
            workweek,
            hours_per_day: hpd,
            holidays: off.into_iter().map(|d| (d, d)).collect(),
            notes,
        });
        cal_info.insert(
            id.to_string(),
            CalInfo {
                index: plan.calendars.len() - 1,
                hpd,
            },
        );
    }
    let project_cal = project.get("clndr_id").map(str::to_string);
    let most_used = use_count
        .iter()
        .filter(|(c, _)| cal_info.contains_key(**c))
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map(|(c, _)| c.to_string());
    let program_cal = most_used
        .clone()
        .or(project_cal.clone())
        .filter(|c| cal_info.contains_key(c));
    if let (Some(m), Some(p)) = (&most_used, &project_cal)
        && m != p
        && cal_info.contains_key(p)
    {
        let mname = &plan.calendars[cal_info[m].index].name;
        plan.header.push(format!("program calendar: \"{mname}\", the calendar most activities use (the project's default calendar is another)"));
    }
    plan.program_calendar = program_cal.as_ref().map(|c| cal_info[c].index);
    let program_hpd = program_cal.as_ref().map_or(8.0, |c| cal_info[c].hpd);
    let hpd_of = |cal: Option<&str>| {
        cal.and_then(|c| cal_info.get(c))
            .map_or(program_hpd, |i| i.hpd)
    };

    // Program start and name.
    let earliest_task = tasks_rows
        .iter()
        .filter_map(|t| {
            t.get("act_start_date")
                .or(t.get("early_start_date"))
                .or(t.get("target_start_date"))
                .and_then(parse_date)
        })
        .min();
    let start = project.get("plan_start_date").and_then(parse_date);
    plan.start = match (start, earliest_task) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };

    // Resources.
    let mut rate_of: HashMap<String, (f64, Option<NaiveDate>, f64)> = HashMap::new();
    let mut rate_count: HashMap<String, usize> = HashMap::new();
    for r in xer.rows("RSRCRATE") {
        let Some(id) = r.get("rsrc_id") else { continue };
        *rate_count.entry(id.to_string()).or_default() += 1;
        let cost = r.get("cost_per_qty").and_then(parse_f64).unwrap_or(0.0);
        let from = r.get("start_date").and_then(parse_date);
        let max = r.get("max_qty_per_hr").and_then(parse_f64).unwrap_or(1.0);
        let better = match rate_of.get(id) {
            None => true,
            // The entry in force at the program start: the latest starting on or before it.
            Some((_, prev, _)) => match (plan.start, from, prev) {
                (Some(s), Some(f), Some(p)) => f <= s && (*p > s || f > *p),
                _ => false,
            },
        };
        if better {
            rate_of.insert(id.to_string(), (cost, from, max));
        }
    }
    enum Res {
        Person(usize),
        Shared(usize),
    }
    let mut res_of: HashMap<String, Res> = HashMap::new();
    for r in xer.rows("RSRC") {
        let Some(id) = r.get("rsrc_id") else { continue };
        let name = r
            .get("rsrc_name")
            .or(r.get("rsrc_short_name"))
            .unwrap_or(id)
            .to_string();
        match r.get("rsrc_type").unwrap_or("RT_Labor") {
            "RT_Mat" => {
                plan.header.push(format!("material resource \"{name}\" dropped: Tiller plans people and shared resources, not consumables"));
                plan.note("material resources dropped");
            }
            "RT_Equip" => {
                plan.resources.push(Resource {
                    id_hint: ids::slug(r.get("rsrc_short_name").unwrap_or(&name)),
                    name,
                    notes: vec!["nonlabor resource in P6".into()],
                });
                res_of.insert(id.to_string(), Res::Shared(plan.resources.len() - 1));
            }
            _ => {
                let mut p = Person {
                    id_hint: ids::slug(r.get("rsrc_short_name").unwrap_or(&name)),
                    name,
                    email: r.get("email_addr").map(str::to_string),
                    calendar: r
                        .get("clndr_id")
                        .and_then(|c| cal_info.get(c))
                        .map(|i| i.index),
                    rate: None,
                    availability: None,
                    off: Vec::new(),
                    notes: Vec::new(),
                };
                if let Some((cost, _, max)) = rate_of.get(id) {
                    if *cost > 0.0 {
                        p.rate = Some(match r.get("cost_qty_type") {
                            Some("QT_Day") => (*cost, RatePer::Day),
                            _ => (*cost, RatePer::Hour),
                        });
                    }
                    p.availability = Some(*max);
                }
                if rate_count.get(id).copied().unwrap_or(0) > 1 {
                    p.notes.push(format!("{} dated price/unit entries in P6; the one in force at the program start is kept", rate_count[id]));
                    plan.note("dated resource rates reduced to the one in force at the start");
                }
                plan.people.push(p);
                res_of.insert(id.to_string(), Res::Person(plan.people.len() - 1));
            }
        }
    }

    // WBS: summaries, in hierarchy order.
    let wbs_rows: Vec<Row<'_>> = xer.rows("PROJWBS").filter(|r| in_project(r)).collect();
    let mut wbs_children: HashMap<String, Vec<usize>> = HashMap::new();
    let mut wbs_roots = Vec::new();
    let wbs_ids: HashMap<&str, usize> = wbs_rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.get("wbs_id").map(|w| (w, i)))
        .collect();
    for (i, r) in wbs_rows.iter().enumerate() {
        match r
            .get("parent_wbs_id")
            .filter(|p| wbs_ids.contains_key(p) && r.get("proj_node_flag") != Some("Y"))
        {
            Some(p) => wbs_children.entry(p.to_string()).or_default().push(i),
            None => wbs_roots.push(i),
        }
    }
    let seq = |i: &usize| {
        wbs_rows[*i]
            .get("seq_num")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    wbs_roots.sort_by_key(|i| (wbs_rows[*i].get("proj_node_flag") != Some("Y"), seq(i)));
    for v in wbs_children.values_mut() {
        v.sort_by_key(seq);
    }
    if let Some(root) = wbs_roots.first()
        && wbs_rows[*root].get("proj_node_flag") == Some("Y")
    {
        plan.name = wbs_rows[*root].get("wbs_name").unwrap_or("").to_string();
    }
    if plan.name.is_empty() {
        plan.name = project
            .get("proj_short_name")
            .unwrap_or("Imported P6 project")
            .to_string();
    }
    // Activities grouped by WBS node, in activity-id order.
    let mut acts_of: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut orphan_acts = Vec::new();
    for (i, t) in tasks_rows.iter().enumerate() {
        match t.get("wbs_id").filter(|w| wbs_ids.contains_key(w)) {
            Some(w) => acts_of.entry(w).or_default().push(i),
            None => orphan_acts.push(i),
        }
    }
    let mut task_of: HashMap<String, usize> = HashMap::new();
    let mut act_index: Vec<Option<usize>> = vec![None; tasks_rows.len()];
    // Depth-first over the WBS (iterative: hostile files may nest deeply).
    let mut stack: Vec<(usize, Option<usize>)> =
        wbs_roots.iter().rev().map(|i| (*i, None)).collect();
    let mut visited = vec![false; wbs_rows.len()];
    let mut wbs_order: Vec<(usize, Option<usize>)> = Vec::new();
    while let Some((w, parent)) = stack.pop() {
        if visited[w] {
            continue;
        }
        visited[w] = true;
        let r = &wbs_rows[w];
        let code = r.get("wbs_short_name").unwrap_or("");
        let name = r.get("wbs_name").unwrap_or(code).to_string();
        let mut task = Task::new(ids::code(code), name);
        task.parent = parent;
        task.summary = true;
        let idx = plan.tasks.len();
        plan.tasks.push(task);
        wbs_order.push((w, Some(idx)));
        if let Some(kids) = r.get("wbs_id").and_then(|id| wbs_children.get(id)) {
            for k in kids.iter().rev() {
                stack.push((*k, Some(idx)));
            }
        }
        // Activities come right after their WBS node's own row in outline order;
        // they are added below once all summaries exist, keyed by WBS node.
    }
    let unvisited = visited.iter().filter(|v| !**v).count();
    if unvisited > 0 {
        plan.header.push(format!(
            "{unvisited} WBS nodes whose parent chain loops were skipped"
        ));
        plan.note("WBS nodes in parent loops skipped");
    }
    let wbs_task: HashMap<&str, usize> = wbs_order
        .iter()
        .filter_map(|(w, t)| Some((wbs_rows[*w].get("wbs_id")?, (*t)?)))
        .collect();

    // Assignments.
    let mut assigns: HashMap<&str, Vec<Row<'_>>> = HashMap::new();
    for a in xer.rows("TASKRSRC").filter(|r| in_project(r)) {
        if let Some(t) = a.get("task_id") {
            assigns.entry(t).or_default().push(a);
        }
    }

    let mut add_activity = |plan: &mut Plan, i: usize, parent: Option<usize>| {
        let t = &tasks_rows[i];
        let code = t.get("task_code").unwrap_or("");
        let name = t.get("task_name").unwrap_or(code).to_string();
        let mut task = Task::new(ids::code(code), name);
        task.parent = parent;
        let cal = t.get("clndr_id");
        let hpd = hpd_of(cal);
        let ty = t.get("task_type").unwrap_or("TT_Task");
        let mut dur_h = hours(t, "target_drtn_hr_cnt")
            .or(hours(t, "remain_drtn_hr_cnt"))
            .unwrap_or(0.0)
            .max(0.0);
        let target_end = t.get("target_end_date").and_then(parse_date);
        if let (Some(end), Some(s0)) = (target_end, plan.start)
            && (end - s0).num_days() > 36_000
        {
            let remaining = hours(t, "remain_drtn_hr_cnt").unwrap_or(0.0).max(0.0);
            task.notes.push(format!("original duration in P6 ends {end}, which cannot be right: the remaining duration ({} h) is used", crate::plan::num(remaining)));
            plan.note("unusable original durations replaced by the remaining duration");
            dur_h = remaining;
        }
        let days = dur_h / hpd;
        match ty {
            "TT_Mile" | "TT_FinMile" => task.milestone = true,
            "TT_LOE" => {
                task.notes
                    .push("level-of-effort activity in P6: a fixed duration here".into());
                plan.note("level-of-effort activities given a fixed duration");
            }
            "TT_WBS" => {
                task.notes
                    .push("WBS summary activity in P6: a fixed duration here".into());
                plan.note("WBS summary activities given a fixed duration");
            }
            _ => {}
        }
        if cal.is_some() && cal.map(str::to_string) != program_cal {
            let cname = cal.and_then(|c| cal_info.get(c)).map_or_else(
                || cal.unwrap_or("").to_string(),
                |i| plan.calendars[i.index].name.clone(),
            );
            task.notes.push(format!("activity calendar \"{cname}\" in P6: Tiller runs tasks on their people's or the program calendar"));
            plan.note("activity calendars other than the program calendar not kept");
        }
        // Resources.
        let mut units_ok = true;
        let mut work_h = 0.0;
        if let Some(list) = t.get("task_id").and_then(|id| assigns.get(id)) {
            for a in list {
                match a.get("rsrc_id").and_then(|r| res_of.get(r)) {
                    Some(Res::Person(p)) => {
                        task.assignees.push(*p);
                        let u = a
                            .get("target_qty_per_hr")
                            .and_then(parse_f64)
                            .unwrap_or(1.0);
                        if (u - 1.0).abs() > 1e-6 {
                            units_ok = false;
                        }
                        work_h += a.get("target_qty").and_then(parse_f64).unwrap_or(0.0);
                    }
                    Some(Res::Shared(r)) => task.uses.push(*r),
                    None => {}
                }
            }
        }
        if !task.milestone {
            let work_based = matches!(
                t.get("duration_type"),
                Some("DT_FixedQty") | Some("DT_FixedRate")
            );
            let full = task.assignees.iter().all(|p| {
                plan.people[*p]
                    .availability
                    .is_none_or(|a| (a - 1.0).abs() < 1e-6)
            });
            let effort =
                work_based && !task.assignees.is_empty() && units_ok && full && work_h > 0.0;
            task.work = Some(if effort {
                Work {
                    effort: true,
                    days: work_h / hpd,
                }
            } else {
                Work {
                    effort: false,
                    days,
                }
            });
            let d = if effort { work_h / hpd } else { days };
            if d > 0.0 && (d - d.round()).abs() > 1e-6 {
                task.notes.push(format!(
                    "{} hours in P6 = {} days of {}h; Tiller schedules whole days",
                    crate::plan::num(if effort { work_h } else { dur_h }),
                    crate::plan::num(d),
                    crate::plan::num(hpd)
                ));
                plan.note("fractional-day durations (rounded up when scheduled)");
            }
        } else if dur_h > 0.0 {
            plan.note("durations of milestones dropped");
        }
        // Constraints (primary and secondary).
        for (ct, cd) in [("cstr_type", "cstr_date"), ("cstr_type2", "cstr_date2")] {
            let Some(kind) = t.get(ct) else { continue };
            let date = t.get(cd).and_then(parse_date);
            match (kind, date) {
                ("CS_MSO" | "CS_MSOA" | "CS_MANDSTART", Some(d)) => {
                    task.not_before = Some(task.not_before.map_or(d, |x| x.max(d)));
                    if kind != "CS_MSOA" {
                        task.notes.push(format!(
                            "{kind} constraint on {d} in P6: start no earlier than here"
                        ));
                        plan.note("start-on constraints made start-no-earlier-than");
                    }
                }
                ("CS_MEO" | "CS_MEOB" | "CS_MANDFIN", Some(d)) => {
                    task.deadline = Some(task.deadline.map_or(d, |x| x.min(d)));
                    task.notes.push(format!(
                        "{kind} constraint on {d} in P6: a soft deadline here"
                    ));
                    plan.note("finish constraints made deadlines");
                }
                (k, d) => {
                    task.notes.push(format!(
                        "{k} constraint{} in P6 dropped",
                        d.map(|d| format!(" on {d}")).unwrap_or_default()
                    ));
                    plan.note(
                        "constraints other than start-on-or-after and finish-on-or-before dropped",
                    );
                }
            }
        }
        // Progress.
        if progress_wanted {
            let status = match t.get("status_code") {
                Some("TK_Complete") => Some(Status::Done),
                Some("TK_Active") => Some(Status::InProgress),
                _ => None,
            };
            if let Some(status) = status {
                let started = t.get("act_start_date").and_then(parse_date);
                let finished = t.get("act_end_date").and_then(parse_date);
                let phys = t
                    .get("phys_complete_pct")
                    .and_then(parse_f64)
                    .unwrap_or(0.0)
                    / 100.0;
                let remaining_h = hours(t, "remain_drtn_hr_cnt");
                let done = if status == Status::Done {
                    1.0
                } else if phys > 0.0 {
                    phys
                } else if dur_h > 0.0 {
                    remaining_h.map_or(0.0, |r| (1.0 - r / dur_h).clamp(0.0, 1.0))
                } else {
                    0.0
                };
                task.progress = Some(Progress {
                    date: data_date
                        .or(finished)
                        .or(started)
                        .unwrap_or(plan.start.unwrap_or(NaiveDate::MIN)),
                    status,
                    done: Some(done),
                    remaining_days: if status == Status::Done {
                        None
                    } else {
                        remaining_h.map(|h| h / hpd)
                    },
                    started,
                    finished: if status == Status::Done {
                        finished
                    } else {
                        None
                    },
                    cost: None,
                });
            }
        }
        let idx = plan.tasks.len();
        if let Some(id) = t.get("task_id") {
            task_of.insert(id.to_string(), idx);
        }
        plan.tasks.push(task);
        idx
    };
    for (w, wt) in &wbs_order {
        let Some(wid) = wbs_rows[*w].get("wbs_id") else {
            continue;
        };
        if let Some(list) = acts_of.get(wid) {
            for &i in list {
                act_index[i] = Some(add_activity(plan, i, *wt));
            }
        }
    }
    if !orphan_acts.is_empty() {
        plan.note("activities outside the WBS placed at the top level");
    }
    for i in orphan_acts {
        act_index[i] = Some(add_activity(plan, i, None));
    }
    let _ = (&act_index, &wbs_task);

    // Links.
    let cal_of_task: HashMap<&str, Option<&str>> = tasks_rows
        .iter()
        .filter_map(|t| Some((t.get("task_id")?, t.get("clndr_id"))))
        .collect();
    let sched_lag_cal = xer.rows("SCHEDOPTIONS").next().and_then(|r| {
        r.get("sched_calendar_on_relationship_lag")
            .map(str::to_string)
    });
    for l in xer.rows("TASKPRED").filter(|r| in_project(r)) {
        let (Some(succ), Some(pred)) = (l.get("task_id"), l.get("pred_task_id")) else {
            return Err(
                ImportError::new("a TASKPRED row lacks task_id or pred_task_id")
                    .format(SHORT)
                    .line(l.line)
                    .expected("the ids of both activities"),
            );
        };
        let (Some(&s), Some(&p)) = (task_of.get(succ), task_of.get(pred)) else {
            plan.note("links to activities not in the project dropped");
            continue;
        };
        let kind = match l.get("pred_type").unwrap_or("PR_FS") {
            "PR_SS" => DepKind::StartToStart,
            "PR_FF" => DepKind::FinishToFinish,
            "PR_SF" => DepKind::StartToFinish,
            _ => DepKind::FinishToStart,
        };
        let lag_h = hours(&l, "lag_hr_cnt").unwrap_or(0.0);
        let (lag, elapsed) = match sched_lag_cal.as_deref() {
            Some("rcal_24Hour") => (lag_h / 24.0, true),
            Some("rcal_Successor") => (
                lag_h / hpd_of(cal_of_task.get(succ).copied().flatten()),
                false,
            ),
            Some("rcal_ProjDefault") => (lag_h / program_hpd, false),
            _ => (
                lag_h / hpd_of(cal_of_task.get(pred).copied().flatten()),
                false,
            ),
        };
        let (whole, exact) = whole_days(lag);
        if !exact {
            let pname = plan.tasks[p].name.clone();
            plan.task_note(
                s,
                "lags rounded to whole days",
                format!(
                    "lag after \"{pname}\" is {} hours in P6 = {} days; rounded to {whole}",
                    crate::plan::num(lag_h),
                    crate::plan::num(lag)
                ),
            );
        }
        plan.tasks[s].deps.push(Dep {
            pred: p,
            kind,
            lag_days: whole,
            elapsed,
        });
    }
    let _ = parse_datetime;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_notation_parses() {
        let data = "(0||CalendarData()(\x7f\x7f  (0||DaysOfWeek()(  (0||1()())  (0||2()(  (0||0(s|08:00|f|12:00)())  (0||1(s|13:00|f|17:00)())))  (0||7()())))  (0||Exceptions()(  (0||0(d|41275)())  (0||1(d|41276)( (0||0(s|08:00|f|12:00)())))))))";
        let c = parse_clndr_data(data).unwrap();
        assert_eq!(c.workweek, [true, false, false, false, false, false, false]);
        assert_eq!(c.hours, Some(8.0));
        assert_eq!(c.off, vec![NaiveDate::from_ymd_opt(2013, 1, 1).unwrap()]);
        assert_eq!(c.on, 1);
        assert!(parse_clndr_data("(0||CalendarData()(").is_none());
    }

    #[test]
    fn tables_need_their_header() {
        let e = parse_tables("ERMHDR\t8\n%R\t1\n").err().unwrap();
        assert_eq!(e.line, Some(2));
        assert!(parse_tables("hello\n").is_err());
    }
}
