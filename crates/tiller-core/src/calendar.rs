//! Working calendars: which days are worked, how long a working day is, and the days off.

use chrono::{Datelike, NaiveDate};

use crate::SourceRef;

/// Day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn short_name(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.index()]
    }

    pub fn parse(name: &str) -> Option<Weekday> {
        let lower = name.to_ascii_lowercase();
        Weekday::ALL.into_iter().find(|d| {
            let full = [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ][d.index()];
            lower == d.short_name() || lower == full
        })
    }

    pub fn of(date: NaiveDate) -> Weekday {
        Weekday::ALL[date.weekday().num_days_from_monday() as usize]
    }
}

/// The set of weekdays that are normally worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkWeek(pub [bool; 7]);

impl WorkWeek {
    pub const MON_FRI: WorkWeek = WorkWeek([true, true, true, true, true, false, false]);

    pub fn works(&self, day: Weekday) -> bool {
        self.0[day.index()]
    }

    pub fn days_per_week(&self) -> usize {
        self.0.iter().filter(|w| **w).count()
    }
}

/// An inclusive range of calendar days (`2027-03-01..2027-03-05` covers five days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateRange {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl DateRange {
    pub fn single(day: NaiveDate) -> Self {
        DateRange {
            first: day,
            last: day,
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first <= day && day <= self.last
    }
}

/// A named working calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub id: String,
    pub name: Option<String>,
    pub workweek: WorkWeek,
    /// Hours in a working day; converts hour-denominated durations and hourly rates to days.
    pub hours_per_day: f64,
    /// Non-working days (public holidays, shutdowns), on top of the weekly pattern.
    /// Sorted and merged by the plan reader.
    pub holidays: Vec<DateRange>,
    pub src: SourceRef,
}

impl Calendar {
    /// The calendar used when a plan defines none: Monday to Friday, eight hours, no holidays.
    pub fn standard() -> Self {
        Calendar {
            id: "standard".to_string(),
            name: None,
            workweek: WorkWeek::MON_FRI,
            hours_per_day: 8.0,
            holidays: Vec::new(),
            src: SourceRef::default(),
        }
    }

    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        // Holidays are sorted by first day and non-overlapping, so a binary search finds
        // the only candidate range.
        let idx = self.holidays.partition_point(|r| r.first <= day);
        idx > 0 && self.holidays[idx - 1].contains(day)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.workweek.works(Weekday::of(day)) && !self.is_holiday(day)
    }
}

/// Sorts ranges and merges overlapping or adjacent ones, so lookups can binary-search.
pub fn normalize_ranges(ranges: &mut Vec<DateRange>) {
    ranges.sort();
    let mut merged: Vec<DateRange> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if r.first <= last.last.succ_opt().unwrap_or(last.last) => {
                if r.last > last.last {
                    last.last = r.last;
                }
            }
            _ => merged.push(r),
        }
    }
    *ranges = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn weekends_and_holidays_are_not_worked() {
        let mut cal = Calendar::standard();
        cal.holidays = vec![DateRange::single(d("2027-01-18"))];
        assert!(cal.is_working_day(d("2027-01-15"))); // Friday
        assert!(!cal.is_working_day(d("2027-01-16"))); // Saturday
        assert!(!cal.is_working_day(d("2027-01-18"))); // holiday Monday
        assert!(cal.is_working_day(d("2027-01-19")));
    }

    #[test]
    fn ranges_merge_when_overlapping_or_adjacent() {
        let mut r = vec![
            DateRange {
                first: d("2027-03-04"),
                last: d("2027-03-06"),
            },
            DateRange::single(d("2027-03-01")),
            DateRange {
                first: d("2027-03-02"),
                last: d("2027-03-03"),
            },
            DateRange::single(d("2027-03-10")),
        ];
        normalize_ranges(&mut r);
        assert_eq!(
            r,
            vec![
                DateRange {
                    first: d("2027-03-01"),
                    last: d("2027-03-06")
                },
                DateRange::single(d("2027-03-10"))
            ]
        );
    }

    #[test]
    fn weekday_names_parse_short_and_long() {
        assert_eq!(Weekday::parse("Mon"), Some(Weekday::Mon));
        assert_eq!(Weekday::parse("sunday"), Some(Weekday::Sun));
        assert_eq!(Weekday::parse("funday"), None);
    }
}
