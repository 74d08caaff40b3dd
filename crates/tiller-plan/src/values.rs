//! The small languages inside plan strings: durations (`5d`, `3d/5d/8d`), lags
//! (`+2d`, `-1ed`), rates (`950/day`), money (`25k`), date ranges
//! (`2027-03-01..2027-03-05`) and dependencies (`pay.design SS+2d`).
//!
//! Parsers here return a message describing what was expected on failure; the caller
//! attaches the span.

use chrono::NaiveDate;
use tiller_core::DepKind;

/// Unit of a written duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Hours,
    /// Calendar days, for lags only.
    ElapsedDays,
    /// Calendar weeks (seven days), for lags only.
    ElapsedWeeks,
}

/// A written amount of time, converted to days later with the program calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount {
    pub value: f64,
    pub unit: Unit,
}

/// The longest duration or lag accepted, in days: anything longer is a typo.
pub const MAX_DAYS: f64 = 36_500.0;

pub(crate) const DURATION_HELP: &str = "write a number and a unit: `5d` (working days), `2w` (weeks), `4h` (hours), \
     or optimistic/likely/pessimistic as `3d/5d/10d`";

fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '_'))
        .map_or(text.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let number: f64 = text[..end].replace('_', "").parse().ok()?;
    Some((number, text[end..].trim()))
}

/// One non-negative amount with a unit, e.g. `5d`, `2.5w`, `4h`, and for lags `3ed`.
pub fn parse_amount(text: &str, allow_elapsed: bool) -> Result<Amount, String> {
    let t = text.trim();
    let Some((value, unit)) = split_number(t) else {
        return Err(format!(
            "expected a number followed by a unit, found \"{t}\""
        ));
    };
    let unit = match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => Unit::Days,
        "w" | "wk" | "week" | "weeks" => Unit::Weeks,
        "h" | "hr" | "hour" | "hours" => Unit::Hours,
        "ed" | "eday" | "edays" if allow_elapsed => Unit::ElapsedDays,
        "ew" | "eweek" | "eweeks" if allow_elapsed => Unit::ElapsedWeeks,
        "" => return Err(format!("\"{t}\" has no unit")),
        other => {
            let units = if allow_elapsed {
                "d, w, h, ed (calendar days) or ew (calendar weeks)"
            } else {
                "d (days), w (weeks) or h (hours)"
            };
            return Err(format!(
                "unknown unit `{other}` in \"{t}\"; expected {units}"
            ));
        }
    };
    if !value.is_finite() {
        return Err(format!("\"{t}\" is not a finite number"));
    }
    Ok(Amount { value, unit })
}

/// A duration: one amount, or three separated by `/` (optimistic/likely/pessimistic).
pub fn parse_estimate(text: &str) -> Result<[Amount; 3], String> {
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        [one] => {
            let a = parse_amount(one, false)?;
            Ok([a, a, a])
        }
        [o, l, p] => Ok([
            parse_amount(o, false)?,
            parse_amount(l, false)?,
            parse_amount(p, false)?,
        ]),
        _ => Err(format!(
            "expected one duration or three separated by `/`, found {} parts",
            parts.len()
        )),
    }
}

/// A signed lag such as `+2d`, `-1d`, `3ed`.
pub fn parse_lag(text: &str) -> Result<(i8, Amount), String> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => (1, t),
    };
    Ok((sign, parse_amount(rest, true)?))
}

/// Per-what a rate is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatePer {
    Day,
    Hour,
    Week,
}

/// A cost rate such as `950/day`, `120/h`, `4,500/week`.
pub fn parse_rate(text: &str) -> Result<(f64, RatePer), String> {
    let Some((amount, per)) = text.split_once('/') else {
        return Err(format!(
            "expected an amount per unit of time such as \"950/day\", found \"{text}\""
        ));
    };
    let amount = parse_money(amount)?;
    let per = match per.trim().to_ascii_lowercase().as_str() {
        "d" | "day" => RatePer::Day,
        "h" | "hr" | "hour" => RatePer::Hour,
        "w" | "wk" | "week" => RatePer::Week,
        other => {
            return Err(format!(
                "unknown rate unit `{other}`; expected day, hour or week"
            ));
        }
    };
    Ok((amount, per))
}

/// An amount of money: `25000`, `25,000`, `25k`, `1.5M`, optionally with a currency
/// symbol or code in front (`$25k`, `USD 25k`), which is ignored.
pub fn parse_money(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let start = t
        .find(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        .unwrap_or(t.len());
    let prefix = t[..start].trim();
    if prefix.chars().any(|c| c.is_ascii_digit()) || prefix.len() > 4 {
        return Err(format!(
            "expected an amount such as 25000 or 25k, found \"{t}\""
        ));
    }
    let body = t[start..].trim().replace([',', '_', ' '], "");
    let (digits, factor) = match body.chars().last() {
        Some('k' | 'K') => (&body[..body.len() - 1], 1e3),
        Some('m' | 'M') => (&body[..body.len() - 1], 1e6),
        _ => (body.as_str(), 1.0),
    };
    match digits.parse::<f64>() {
        Ok(v) if v.is_finite() && (v * factor).abs() < 1e13 => Ok(v * factor),
        _ => Err(format!(
            "expected an amount such as 25000 or 25k, found \"{t}\""
        )),
    }
}

/// An inclusive range of days, `2027-03-01..2027-03-05`, or a single day.
pub fn parse_date_range(text: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| format!("expected a date such as 2027-03-01, found \"{}\"", s.trim()))
    };
    match text.split_once("..") {
        Some((a, b)) => {
            let (first, last) = (date(a)?, date(b)?);
            if last < first {
                return Err(format!(
                    "the range ends ({last}) before it starts ({first})"
                ));
            }
            Ok((first, last))
        }
        None => {
            let d = date(text)?;
            Ok((d, d))
        }
    }
}

/// A dependency written as a string: the predecessor's id, then optionally the link
/// type and a lag: `pay.design`, `infra.vault SS+2d`, `qa FF -1d`, `x +3ed`.
#[derive(Debug, Clone, PartialEq)]
pub struct DepSpec {
    pub id: String,
    /// Byte range of the id within the string.
    pub id_range: std::ops::Range<usize>,
    pub kind: DepKind,
    pub lag: Option<(i8, Amount)>,
}

pub fn parse_dep(text: &str) -> Result<DepSpec, String> {
    let lead = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let id_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let id = &trimmed[..id_len];
    if id.is_empty() {
        return Err("expected a task id".to_string());
    }
    if let Some(pos) = id.find(['+']) {
        return Err(format!(
            "put a space between the id and the lag: \"{} {}\"",
            &id[..pos],
            &id[pos..]
        ));
    }
    let mut rest = trimmed[id_len..].trim();
    let mut kind = DepKind::FinishToStart;
    if rest.len() >= 2
        && let Some(k) = rest.get(..2).and_then(DepKind::parse)
    {
        kind = k;
        rest = rest[2..].trim();
    }
    let lag = if rest.is_empty() {
        None
    } else if rest.starts_with(['+', '-']) || rest.starts_with(|c: char| c.is_ascii_digit()) {
        Some(parse_lag(rest)?)
    } else {
        return Err(format!(
            "expected a link type (FS, SS, FF, SF) and/or a lag such as +2d after the id, \
             found \"{rest}\""
        ));
    };
    Ok(DepSpec {
        id: id.to_string(),
        id_range: lead..lead + id_len,
        kind,
        lag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_three_points() {
        assert_eq!(
            parse_amount("2.5d", false),
            Ok(Amount {
                value: 2.5,
                unit: Unit::Days
            })
        );
        assert_eq!(
            parse_amount("3 weeks", false).map(|a| a.unit),
            Ok(Unit::Weeks)
        );
        assert!(parse_amount("5", false).is_err());
        assert!(parse_amount("5ed", false).is_err());
        assert!(parse_amount("5ed", true).is_ok());
        assert!(parse_amount("d", false).is_err());
        let est = parse_estimate("3d/5d/2w").expect("valid");
        assert_eq!(est[2].unit, Unit::Weeks);
        assert!(parse_estimate("3d/5d").is_err());
    }

    #[test]
    fn dependencies_parse_type_and_lag() {
        let d = parse_dep("infra.vault SS+2d").expect("valid");
        assert_eq!(d.id, "infra.vault");
        assert_eq!(d.kind, DepKind::StartToStart);
        assert_eq!(d.lag.map(|l| (l.0, l.1.value)), Some((1, 2.0)));
        let d = parse_dep("  qa-x ff -1ed").expect("valid");
        assert_eq!(d.id, "qa-x");
        assert_eq!(d.id_range, 2..6);
        assert_eq!(d.kind, DepKind::FinishToFinish);
        assert_eq!(
            d.lag.map(|l| (l.0, l.1.unit)),
            Some((-1, Unit::ElapsedDays))
        );
        assert_eq!(parse_dep("a").map(|d| d.kind), Ok(DepKind::FinishToStart));
        assert!(parse_dep("a+2d").is_err());
        assert!(parse_dep("a XX").is_err());
        let unsigned = parse_dep("a SS 2d").expect("valid");
        assert_eq!(unsigned.lag.map(|l| (l.0, l.1.value)), Some((1, 2.0)));
        assert!(parse_dep("").is_err());
    }

    #[test]
    fn money_and_rates_accept_common_spellings() {
        assert_eq!(parse_money("25,000"), Ok(25_000.0));
        assert_eq!(parse_money("$25k"), Ok(25_000.0));
        assert_eq!(parse_money("1.5M"), Ok(1_500_000.0));
        assert!(parse_money("lots").is_err());
        assert_eq!(parse_rate("950/day"), Ok((950.0, RatePer::Day)));
        assert_eq!(parse_rate("120 / h"), Ok((120.0, RatePer::Hour)));
        assert!(parse_rate("950").is_err());
        assert!(parse_rate("950/fortnight").is_err());
    }

    #[test]
    fn date_ranges_are_inclusive_and_ordered() {
        let (a, b) = parse_date_range("2027-03-01..2027-03-05").expect("valid");
        assert_eq!((b - a).num_days(), 4);
        assert!(parse_date_range("2027-03-05..2027-03-01").is_err());
        assert!(parse_date_range("2027-02-30").is_err());
    }
}
