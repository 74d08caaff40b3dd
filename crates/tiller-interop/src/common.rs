//! Small parsers shared by the importers: dates, ISO 8601 durations, recurring dates.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// A date-time as the source tools write it: `2024-01-04T08:00:00`, `2024-01-04 08:00`,
/// `2024-01-04`. Returns the date and the time of day (midnight when absent).
pub fn parse_datetime(s: &str) -> Option<(NaiveDate, NaiveTime)> {
    let s = s.trim();
    if s.len() < 10 {
        return None;
    }
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = s[10..].trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some((date, NaiveTime::MIN));
    }
    let time = NaiveTime::parse_from_str(rest, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(rest, "%H:%M"))
        .or_else(|_| NaiveTime::parse_from_str(rest.get(..8).unwrap_or(rest), "%H:%M:%S"))
        .ok()?;
    Some((date, time))
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_datetime(s).map(|(d, _)| d)
}

/// The day a finish date-time belongs to.
pub fn finish_date(s: &str) -> Option<NaiveDate> {
    let (d, t) = parse_datetime(s)?;
    // A finish at midnight or at the start of a working day (08:00, 09:00) is the end of
    // the previous day: Microsoft Project writes 2024-01-08T08:00 for a task whose
    // last working hour was on Friday the 5th.
    if t <= NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN) {
        let mut p = d.pred_opt()?;
        if t != NaiveTime::MIN {
            while p.weekday().num_days_from_monday() >= 5 {
                p = p.pred_opt()?;
            }
        }
        return Some(p);
    }
    Some(d)
}

pub fn datetime(d: NaiveDate, t: NaiveTime) -> NaiveDateTime {
    d.and_time(t)
}

/// Hours in an ISO 8601 duration as MSPDI writes them: `PT8H0M0S`, `PT24H30M0S`,
/// `P2DT4H`, `-PT8H`. Days count 24 hours.
pub fn parse_iso_duration_hours(s: &str) -> Option<f64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    let mut hours = 0.0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for ch in s.chars() {
        match ch {
            'T' => in_time = true,
            '0'..='9' | '.' => num.push(ch),
            'Y' | 'M' | 'W' | 'D' | 'H' | 'S' => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                any = true;
                hours += match (ch, in_time) {
                    ('Y', false) => v * 365.0 * 24.0,
                    ('M', false) => v * 30.0 * 24.0,
                    ('W', false) => v * 7.0 * 24.0,
                    ('D', false) => v * 24.0,
                    ('H', true) => v,
                    ('M', true) => v / 60.0,
                    ('S', true) => v / 3600.0,
                    _ => return None,
                };
            }
            _ => return None,
        }
    }
    if !num.is_empty() || !any {
        return None;
    }
    if !hours.is_finite() {
        return None;
    }
    Some(if neg { -hours } else { hours })
}

/// Rounds a lag in days to whole days; reports whether it was exact.
pub fn whole_days(days: f64) -> (i64, bool) {
    let r = days.round();
    let exact = (days - r).abs() < 1e-6;
    (r.clamp(-36_500.0, 36_500.0) as i64, exact)
}

/// Weekday index, Monday = 0.
pub fn weekday_index(d: NaiveDate) -> usize {
    d.weekday().num_days_from_monday() as usize
}

/// The `n`-th (1-based; 5 = last) `weekday` of a month.
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    if n >= 5 {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = first_next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
}

/// Adds days, saturating at chrono's limits.
pub fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(d)
    }
}

/// Parses a number, accepting a decimal comma.
pub fn parse_f64(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let v: f64 = t.parse().or_else(|_| t.replace(',', ".").parse()).ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations_become_hours() {
        assert_eq!(parse_iso_duration_hours("PT8H0M0S"), Some(8.0));
        assert_eq!(parse_iso_duration_hours("PT1H30M0S"), Some(1.5));
        assert_eq!(parse_iso_duration_hours("P1DT2H"), Some(26.0));
        assert_eq!(parse_iso_duration_hours("-PT16H0M0S"), Some(-16.0));
        assert_eq!(parse_iso_duration_hours("PT"), None);
        assert_eq!(parse_iso_duration_hours("8h"), None);
    }

    #[test]
    fn dates_and_finishes() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 4).unwrap();
        assert_eq!(parse_date("2024-01-04T08:00:00"), Some(d));
        assert_eq!(parse_date("2024-01-04 08:00"), Some(d));
        assert_eq!(finish_date("2024-01-05T00:00:00"), Some(d));
        assert_eq!(
            nth_weekday(2024, 2, Weekday::Thu, 5),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }
}
