//! Points in time at day resolution, and how tasks and lags move along calendars.
//!
//! Each day has two ticks: its start (`2d`) and its end (`2d + 1`). A task starts at the
//! start of a working day and finishes at the end of its last working day; a milestone
//! sits at either, so a milestone after a task that ends on Friday is on Friday, while a
//! task after it starts on Monday. Between the end of Friday and the start of Monday no
//! working time passes; that is what the working-time coordinate `W` measures.

use chrono::{Days, NaiveDate};

use crate::profile::{Day, Profile, WorkCalendar};
use tiller_core::Lag;

/// A day boundary: `2 * day` is the start of `day`, `2 * day + 1` its end.
pub type Tick = i64;

pub fn day_of(t: Tick) -> Day {
    t.div_euclid(2)
}

pub fn is_end(t: Tick) -> bool {
    t.rem_euclid(2) == 1
}

pub fn start_of(day: Day) -> Tick {
    2 * day
}

pub fn end_of(day: Day) -> Tick {
    2 * day + 1
}

/// The latest tick of the given parity (`end`) at or before `t`.
fn floor_parity(t: Tick, end: bool) -> Tick {
    if is_end(t) == end { t } else { t - 1 }
}

/// The calendar date of a day number.
pub fn date_of(origin: NaiveDate, day: Day) -> Option<NaiveDate> {
    if day >= 0 {
        origin.checked_add_days(Days::new(day as u64))
    } else {
        origin.checked_sub_days(Days::new(day.unsigned_abs()))
    }
}

/// The program calendar seen as a working-time axis: lags and floats are counted on it.
pub struct WorkAxis<'a, P: WorkCalendar = Profile> {
    /// Rate 1 on each working day of the program calendar.
    pub calendar: &'a P,
}

impl<P: WorkCalendar> WorkAxis<'_, P> {
    /// Working days completed at tick `t`.
    #[inline]
    pub fn w(&self, t: Tick) -> i64 {
        let d = day_of(t);
        if is_end(t) {
            self.calendar.cum(d + 1)
        } else {
            self.calendar.cum(d)
        }
    }

    /// Working days between two ticks (negative when `b` is before `a`).
    #[inline]
    pub fn between(&self, a: Tick, b: Tick) -> i64 {
        self.w(b) - self.w(a)
    }

    /// The tick `lag` after `t`, keeping `t`'s parity: the start of a day plus two
    /// working days is the start of a day, the end of a day plus two is an end.
    #[inline]
    pub fn add_lag(&self, t: Tick, lag: Lag) -> Option<Tick> {
        if lag.days == 0 {
            return Some(t);
        }
        if lag.elapsed {
            return Some(t + 2 * lag.days as i64);
        }
        let target = self.w(t) + lag.days as i64;
        let x = self.calendar.first_reaching(target)?;
        Some(if is_end(t) { 2 * x - 1 } else { 2 * x })
    }

    /// The latest tick `u` of parity `end` with `add_lag(u, lag) <= bound`.
    #[inline]
    pub fn sub_lag(&self, bound: Tick, lag: Lag, end: bool) -> Option<Tick> {
        let bound = floor_parity(bound, end);
        if lag.days == 0 {
            return Some(bound);
        }
        if lag.elapsed {
            return Some(bound - 2 * lag.days as i64);
        }
        let limit = self.w(bound) - lag.days as i64;
        // Latest u of the parity with W(u) <= limit.
        let x = self.calendar.first_reaching(limit + 1)? - 1;
        Some(if end { 2 * x - 1 } else { 2 * x })
    }
}

/// How a task occupies its own calendar: `req` thousandths of a person-day of work
/// (0 for a milestone) at the rates of `profile`.
pub struct Occupancy<'a, P: WorkCalendar = Profile> {
    pub profile: &'a P,
    pub req: i64,
}

impl<P: WorkCalendar> Occupancy<'_, P> {
    /// Earliest start at or after tick `bound`. For work, the start of a working day;
    /// a milestone stays on its tick unless that falls on a non-working day.
    #[inline]
    pub fn start_after(&self, bound: Tick) -> Option<Tick> {
        let day = day_of(bound);
        if self.req == 0 {
            if self.profile.rate(day) > 0 {
                return Some(bound);
            }
            return self.profile.next_working(day).map(start_of);
        }
        let first = if is_end(bound) { day + 1 } else { day };
        self.profile.next_working(first).map(start_of)
    }

    /// Finish tick of the task when it starts at `start` (a tick from `start_after`).
    #[inline]
    pub fn finish_from(&self, start: Tick) -> Option<Tick> {
        if self.req == 0 {
            return Some(start);
        }
        let finish = self.profile.finish_day(day_of(start), self.req)?;
        Some(end_of(finish))
    }

    /// Earliest start such that the task finishes at or after tick `bound`.
    #[inline]
    pub fn start_for_finish_after(&self, bound: Tick) -> Option<Tick> {
        if self.req == 0 {
            return self.start_after(bound);
        }
        // Finishing on day f or later means not being done by the end of day f - 1.
        let f = day_of(bound);
        let s = self
            .profile
            .first_reaching(self.profile.cum(f) - self.req + 1)?;
        self.start_after(start_of(s))
    }

    /// Latest start at or before tick `bound` (backward counterpart of `start_after`).
    #[inline]
    pub fn start_before(&self, bound: Tick) -> Option<Tick> {
        let day = day_of(bound);
        if self.req == 0 {
            if self.profile.rate(day) > 0 {
                return Some(bound);
            }
            return self.profile.prev_working(day).map(end_of);
        }
        self.profile.prev_working(day).map(start_of)
    }

    /// Latest start such that the task finishes at or before tick `bound`.
    #[inline]
    pub fn start_for_finish_before(&self, bound: Tick) -> Option<Tick> {
        if self.req == 0 {
            return self.start_before(bound);
        }
        // Finishing by the end of day f needs C(f + 1) - C(s) >= req.
        let f = day_of(bound - 1);
        let limit = self.profile.cum(f + 1) - self.req;
        let s = self.profile.first_reaching(limit + 1)? - 1;
        self.start_before(start_of(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 4).expect("a Monday")
    }

    fn mon_fri(rate: i64) -> Profile {
        Profile::build(origin(), [rate, rate, rate, rate, rate, 0, 0], [], |_| 0)
    }

    fn lag(days: i32) -> Lag {
        Lag {
            days,
            elapsed: false,
        }
    }

    #[test]
    fn five_days_of_work_from_monday_end_on_friday() {
        let p = mon_fri(1000);
        let occ = Occupancy {
            profile: &p,
            req: 5000,
        };
        let s = occ.start_after(start_of(0)).expect("works");
        assert_eq!(s, start_of(0));
        assert_eq!(occ.finish_from(s), Some(end_of(4)));
        // Starting Thursday wraps over the weekend to Wednesday.
        assert_eq!(occ.finish_from(start_of(3)), Some(end_of(9)));
    }

    #[test]
    fn part_time_stretches_and_rounds_up_to_whole_days() {
        let p = mon_fri(800);
        let occ = Occupancy {
            profile: &p,
            req: 5000,
        };
        // 5 person-days at 0.8 a day: 6.25 days, so the seventh working day (Tue).
        assert_eq!(occ.finish_from(start_of(0)), Some(end_of(8)));
    }

    #[test]
    fn a_start_after_the_end_of_friday_is_monday() {
        let p = mon_fri(1000);
        let occ = Occupancy {
            profile: &p,
            req: 1000,
        };
        assert_eq!(occ.start_after(end_of(4)), Some(start_of(7)));
        let milestone = Occupancy {
            profile: &p,
            req: 0,
        };
        assert_eq!(milestone.start_after(end_of(4)), Some(end_of(4)));
        assert_eq!(milestone.start_after(start_of(5)), Some(start_of(7)));
        assert_eq!(milestone.start_before(start_of(6)), Some(end_of(4)));
    }

    #[test]
    fn finish_constraints_convert_to_starts_both_ways() {
        let p = mon_fri(1000);
        let occ = Occupancy {
            profile: &p,
            req: 3000,
        };
        // Must finish no earlier than end of Wednesday of week 2 (day 9): start Mon (7).
        assert_eq!(occ.start_for_finish_after(end_of(9)), Some(start_of(7)));
        // Must finish no later than end of Tuesday of week 2 (day 8): Fri, Mon, Tue.
        assert_eq!(occ.start_for_finish_before(end_of(8)), Some(start_of(4)));
        // No later than the start of Monday (day 7) means by the end of Friday (day 4).
        assert_eq!(occ.start_for_finish_before(start_of(7)), Some(start_of(2)));
    }

    #[test]
    fn lags_count_working_days_and_keep_parity() {
        let cal = mon_fri(1);
        let axis = WorkAxis { calendar: &cal };
        // End of Wednesday + 2d = end of Friday.
        assert_eq!(axis.add_lag(end_of(2), lag(2)), Some(end_of(4)));
        // Start of Monday + 2d = start of Wednesday.
        assert_eq!(axis.add_lag(start_of(0), lag(2)), Some(start_of(2)));
        // End of Friday + 1d = end of Monday.
        assert_eq!(axis.add_lag(end_of(4), lag(1)), Some(end_of(7)));
        // End of Wednesday - 2d = end of Monday (a lead).
        assert_eq!(axis.add_lag(end_of(2), lag(-2)), Some(end_of(0)));
        // Elapsed: end of Friday + 1ed = end of Saturday.
        let ed = Lag {
            days: 1,
            elapsed: true,
        };
        assert_eq!(axis.add_lag(end_of(4), ed), Some(end_of(5)));
    }

    #[test]
    fn sub_lag_inverts_add_lag() {
        let cal = mon_fri(1);
        let axis = WorkAxis { calendar: &cal };
        for days in -6..=6 {
            for end in [false, true] {
                for bound in -30..60 {
                    let l = lag(days);
                    let u = axis.sub_lag(bound, l, end).expect("calendar works");
                    assert_eq!(is_end(u), end);
                    let moved = axis.add_lag(u, l).expect("calendar works");
                    assert!(moved <= bound, "lag {days} bound {bound}: {u} -> {moved}");
                    let moved_next = axis.add_lag(u + 2, l).expect("calendar works");
                    assert!(
                        moved_next > bound,
                        "lag {days} bound {bound}: {u} not latest"
                    );
                }
            }
        }
    }
}
