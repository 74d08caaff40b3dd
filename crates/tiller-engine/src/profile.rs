//! Work-rate profiles: how much work a task can get done on each day.
//!
//! A profile gives, for every day, a rate in thousandths of a person-day (a full-time
//! person on a working day is 1000; someone at 80 % is 800; a holiday is 0). Its running
//! total `C(d)` (work available on days before `d`) turns "when does 5 person-days of work
//! starting Monday finish?" into one binary search, whatever the calendar.
//!
//! Calendars are weekly patterns plus a finite set of exceptions (holidays, time off), so
//! each profile stores a table only across the span where exceptions occur and
//! extrapolates the weekly pattern outside it. Every query is therefore total: there is
//! no horizon to run out of.

use chrono::{Datelike, NaiveDate};

/// Day number relative to the program's start date (day 0). Negative before it.
pub type Day = i64;

/// A rate per day and its running total, over all days.
#[derive(Debug, Clone)]
pub struct Profile {
    /// First day covered by `cum`.
    lo: Day,
    /// `cum[i]` = work available on days `lo .. lo + i`; one entry longer than the table.
    cum: Vec<i64>,
    /// Rate outside the table, by weekday of the day (Monday first).
    week: [i64; 7],
    week_sum: i64,
    /// Weekday index (Monday = 0) of day 0.
    day0_weekday: i64,
}

impl Profile {
    /// Builds a profile covering `lo..hi` exactly with `rate(day)`, and `week` outside.
    ///
    /// `week[w]` must agree with `rate` on days outside the table; callers pass the span
    /// that contains every exception to the weekly pattern.
    pub fn build(
        origin: NaiveDate,
        lo: Day,
        hi: Day,
        week: [i64; 7],
        mut rate: impl FnMut(Day) -> i64,
    ) -> Profile {
        let hi = hi.max(lo);
        let mut cum = Vec::with_capacity((hi - lo + 1) as usize);
        let mut total = 0i64;
        cum.push(0);
        for day in lo..hi {
            total += rate(day);
            cum.push(total);
        }
        Profile {
            lo,
            cum,
            week,
            week_sum: week.iter().sum(),
            day0_weekday: origin.weekday().num_days_from_monday() as i64,
        }
    }

    fn hi(&self) -> Day {
        self.lo + self.cum.len() as i64 - 1
    }

    fn weekday(&self, day: Day) -> usize {
        (day + self.day0_weekday).rem_euclid(7) as usize
    }

    /// Whether the profile has any working time at all (otherwise nothing finishes).
    pub fn has_work(&self) -> bool {
        self.week_sum > 0 || self.cum.last().copied().unwrap_or(0) > 0
    }

    /// Whether the weekly pattern has work, i.e. work eventually resumes after any gap.
    pub fn works_eventually(&self) -> bool {
        self.week_sum > 0
    }

    /// Work rate on one day.
    pub fn rate(&self, day: Day) -> i64 {
        if day >= self.lo && day < self.hi() {
            let i = (day - self.lo) as usize;
            self.cum[i + 1] - self.cum[i]
        } else {
            self.week[self.weekday(day)]
        }
    }

    /// Weekly-pattern work on days `a .. b` (`a <= b`).
    fn periodic_sum(&self, a: Day, b: Day) -> i64 {
        let days = b - a;
        let full_weeks = days / 7;
        let mut sum = full_weeks * self.week_sum;
        let mut day = a + full_weeks * 7;
        while day < b {
            sum += self.week[self.weekday(day)];
            day += 1;
        }
        sum
    }

    /// `C(day)`: work available on days before `day`, relative to the start of the table.
    pub fn cum(&self, day: Day) -> i64 {
        let hi = self.hi();
        if day < self.lo {
            -self.periodic_sum(day, self.lo)
        } else if day <= hi {
            self.cum[(day - self.lo) as usize]
        } else {
            self.cum[self.cum.len() - 1] + self.periodic_sum(hi, day)
        }
    }

    /// The smallest day `x` with `C(x) >= value`, or `None` if the profile never gets
    /// there (no working time from some point on).
    pub fn first_reaching(&self, value: i64) -> Option<Day> {
        let hi = self.hi();
        let at_lo = self.cum[0];
        let at_hi = self.cum[self.cum.len() - 1];
        if value > at_hi {
            // Past the table: whole weeks at once, then day by day (under seven steps
            // with work, because what remains is less than a week's work).
            if self.week_sum <= 0 {
                return None;
            }
            let need = value - at_hi;
            let full_weeks = (need - 1) / self.week_sum;
            let mut day = hi + full_weeks * 7;
            let mut remaining = need - full_weeks * self.week_sum;
            while remaining > 0 {
                remaining -= self.week[self.weekday(day)];
                day += 1;
            }
            Some(day)
        } else if value > at_lo {
            let idx = self.cum.partition_point(|&c| c < value);
            Some(self.lo + idx as i64)
        } else {
            // Before the table (or exactly at its start): walk back while the days
            // skipped keep the total at or above `value`.
            if self.week_sum <= 0 {
                // Constant before the table: every earlier day reaches the value, so
                // there is no smallest one; callers only ask this with work ahead.
                return if value <= at_lo { Some(self.lo) } else { None };
            }
            let budget = at_lo - value;
            let full_weeks = budget / self.week_sum;
            let mut day = self.lo - full_weeks * 7;
            let mut remaining = budget - full_weeks * self.week_sum;
            loop {
                let before = self.week[self.weekday(day - 1)];
                if before > remaining {
                    break;
                }
                remaining -= before;
                day -= 1;
            }
            Some(day)
        }
    }

    /// The first day on or after `day` with work, if any.
    pub fn next_working(&self, day: Day) -> Option<Day> {
        if self.rate(day) > 0 {
            return Some(day);
        }
        self.first_reaching(self.cum(day) + 1).map(|x| x - 1)
    }

    /// The last day on or before `day` with work, if any.
    pub fn prev_working(&self, day: Day) -> Option<Day> {
        if self.rate(day) > 0 {
            return Some(day);
        }
        let before = self.cum(day + 1);
        if before <= self.cum[0] && self.week_sum <= 0 {
            return None;
        }
        // The smallest x with C(x) >= C(day+1) is one past the last working day <= day.
        self.first_reaching(before).map(|x| x - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> NaiveDate {
        // A Monday.
        NaiveDate::from_ymd_opt(2027, 1, 4).expect("valid date")
    }

    fn mon_fri() -> [i64; 7] {
        [1000, 1000, 1000, 1000, 1000, 0, 0]
    }

    /// Mon-Fri, with a holiday on day 7 (the second Monday), table covering days 0..14.
    fn profile() -> Profile {
        Profile::build(origin(), 0, 14, mon_fri(), |d| {
            if d == 7 || d.rem_euclid(7) >= 5 {
                0
            } else {
                1000
            }
        })
    }

    fn brute_cum(p: &Profile, day: Day) -> i64 {
        let mut s = 0;
        if day >= 0 {
            for d in 0..day {
                s += p.rate(d);
            }
        } else {
            for d in day..0 {
                s -= p.rate(d);
            }
        }
        s
    }

    #[test]
    fn cumulative_matches_day_by_day_sum_inside_and_outside_the_table() {
        let p = profile();
        for day in -40..60 {
            assert_eq!(p.cum(day), brute_cum(&p, day), "day {day}");
        }
    }

    #[test]
    fn first_reaching_is_the_least_day_reaching_the_value() {
        let p = profile();
        for value in -30_000..40_000i64 {
            if value % 250 != 0 {
                continue;
            }
            let x = p.first_reaching(value).expect("work every week");
            assert!(p.cum(x) >= value, "value {value}: C({x}) too small");
            assert!(p.cum(x - 1) < value, "value {value}: {x} not least");
        }
    }

    #[test]
    fn working_day_snapping_skips_weekends_and_holidays() {
        let p = profile();
        assert_eq!(p.next_working(5), Some(8)); // Sat -> Tue (Mon is a holiday)
        assert_eq!(p.prev_working(7), Some(4)); // holiday Mon -> Fri
        assert_eq!(p.next_working(-2), Some(0)); // Sat before start -> Mon
        assert_eq!(p.prev_working(34), Some(32)); // Sun (outside table) -> Fri
        assert_eq!(p.next_working(1), Some(1));
    }

    #[test]
    fn a_profile_without_work_never_finishes() {
        let p = Profile::build(origin(), 0, 10, [0; 7], |_| 0);
        assert!(!p.has_work());
        assert_eq!(p.first_reaching(1), None);
        assert_eq!(p.next_working(0), None);
        assert_eq!(p.prev_working(0), None);
    }

    #[test]
    fn work_stops_forever_after_the_table_when_the_week_is_empty() {
        // Someone who works days 0..5 and then leaves: the week pattern is empty.
        let p = Profile::build(origin(), 0, 5, [0; 7], |_| 1000);
        assert_eq!(p.first_reaching(5000), Some(5));
        assert_eq!(p.first_reaching(5001), None);
        assert_eq!(p.prev_working(100), Some(4));
    }
}
