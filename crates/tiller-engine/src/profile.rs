//! Work-rate profiles: how much work a task can get done on each day.
//!
//! A profile gives, for every day, a rate in thousandths of a person-day (a full-time
//! person on a working day is 1000; someone at 80 % is 800; a holiday is 0). Its running
//! total `C(d)` (work available on days before `d`, counted from day 0) turns "when does
//! 5 person-days of work starting Monday finish?" into one search, whatever the calendar.
//!
//! Calendars are weekly patterns plus a few exceptions (holidays, time off), so a profile
//! is stored as exactly that: the weekly rates and a short sorted list of exception days
//! with the running sum of their differences from the pattern. `C(d)` is the weekly
//! pattern's closed form plus that correction; every query is O(log exceptions), a
//! profile is a few hundred bytes however long the program runs, and there is no
//! horizon to run out of.

use chrono::{Datelike, NaiveDate};

/// Day number relative to the program's start date (day 0). Negative before it.
pub type Day = i64;

/// What the schedulers need to know of a work-rate profile. [`Profile`] answers from
/// its compact weekly-pattern form; [`DenseProfile`] from tables over a fixed span,
/// which is faster when the same network is scheduled thousands of times.
pub trait WorkCalendar {
    /// Work rate on one day.
    fn rate(&self, day: Day) -> i64;
    /// Work available on days `0 .. day` (negative before day 0).
    fn cum(&self, day: Day) -> i64;
    /// The smallest day `x` with `cum(x) >= value`.
    fn first_reaching(&self, value: i64) -> Option<Day>;

    /// The first day on or after `day` with work.
    fn next_working(&self, day: Day) -> Option<Day> {
        if self.rate(day) > 0 {
            return Some(day);
        }
        self.first_reaching(self.cum(day) + 1).map(|x| x - 1)
    }

    /// The last day on or before `day` with work.
    fn prev_working(&self, day: Day) -> Option<Day>;

    /// The day on which `req` units of work starting on `start` are complete.
    fn finish_day(&self, start: Day, req: i64) -> Option<Day> {
        self.first_reaching(self.cum(start) + req).map(|x| x - 1)
    }
}

/// A rate per day and its running total, over all days.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Rate by weekday (Monday first).
    week: [i64; 7],
    /// `pre[r]`: sum of `week[0..r]`.
    pre: [i64; 8],
    week_sum: i64,
    /// Weekday index (Monday = 0) of day 0.
    day0_weekday: i64,
    /// Days whose rate differs from the weekly pattern, sorted.
    ex_days: Vec<Day>,
    /// Their actual rates.
    ex_rate: Vec<i64>,
    /// `ex_delta[k]`: sum of (actual - weekly) over the first `k` exceptions.
    ex_delta: Vec<i64>,
    /// The part of `ex_delta` before day 0, which `C` counts from.
    delta0: i64,
    /// `periodic(day0_weekday)`, the weekly total `C` counts from.
    periodic0: i64,
    /// `C` at each exception day, for the search in `first_reaching`.
    ex_cum: Vec<i64>,
}

impl Profile {
    /// Builds a profile from its weekly rates and `rate(day)` evaluated on `candidates`,
    /// the days where it may differ from the weekly pattern (in any order, repeats
    /// allowed). Days not among the candidates follow the weekly pattern.
    pub fn build(
        origin: NaiveDate,
        week: [i64; 7],
        candidates: impl IntoIterator<Item = Day>,
        mut rate: impl FnMut(Day) -> i64,
    ) -> Profile {
        let mut pre = [0i64; 8];
        for i in 0..7 {
            pre[i + 1] = pre[i] + week[i];
        }
        let mut profile = Profile {
            week,
            pre,
            week_sum: pre[7],
            day0_weekday: origin.weekday().num_days_from_monday() as i64,
            ex_days: Vec::new(),
            ex_rate: Vec::new(),
            ex_delta: vec![0],
            delta0: 0,
            periodic0: 0,
            ex_cum: Vec::new(),
        };
        profile.periodic0 = profile.periodic(profile.day0_weekday);
        let mut days: Vec<Day> = candidates.into_iter().collect();
        days.sort_unstable();
        days.dedup();
        let mut total = 0;
        for d in days {
            let actual = rate(d);
            let usual = profile.weekly_rate(d);
            if actual != usual {
                total += actual - usual;
                profile.ex_days.push(d);
                profile.ex_rate.push(actual);
                profile.ex_delta.push(total);
            }
        }
        let k0 = profile.ex_days.partition_point(|&e| e < 0);
        profile.delta0 = profile.ex_delta[k0];
        profile.ex_cum = (0..profile.ex_days.len())
            .map(|k| profile.cum_in_segment(profile.ex_days[k], k))
            .collect();
        profile
    }

    fn weekday(&self, day: Day) -> usize {
        let s = day + self.day0_weekday;
        // Unsigned division by a constant compiles to a multiply; most days are >= 0.
        if s >= 0 {
            (s as u64 % 7) as usize
        } else {
            s.rem_euclid(7) as usize
        }
    }

    /// Mean rate over the working days of the weekly pattern (0 without any).
    pub fn mean_working_rate(&self) -> f64 {
        let days = self.week.iter().filter(|&&r| r > 0).count();
        if days == 0 {
            0.0
        } else {
            self.week_sum as f64 / days as f64
        }
    }

    fn weekly_rate(&self, day: Day) -> i64 {
        self.week[self.weekday(day)]
    }

    /// Whether the weekly pattern has work, i.e. work always resumes after a gap.
    pub fn works_eventually(&self) -> bool {
        self.week_sum > 0
    }

    /// Work rate on one day.
    fn rate_of(&self, day: Day) -> i64 {
        let outside = match (self.ex_days.first(), self.ex_days.last()) {
            (Some(&first), Some(&last)) => day < first || day > last,
            _ => true,
        };
        if outside {
            return self.weekly_rate(day);
        }
        match self.ex_days.binary_search(&day) {
            Ok(k) => self.ex_rate[k],
            Err(_) => self.weekly_rate(day),
        }
    }

    /// Weekly-pattern total over shifted days `[0, s)`, where shifted day 0 is a Monday.
    fn periodic(&self, s: i64) -> i64 {
        if s >= 0 {
            let u = s as u64;
            (u / 7) as i64 * self.week_sum + self.pre[(u % 7) as usize]
        } else {
            s.div_euclid(7) * self.week_sum + self.pre[s.rem_euclid(7) as usize]
        }
    }

    /// The smallest shifted day `s` with `periodic(s) >= target`; needs `week_sum > 0`.
    fn periodic_inverse(&self, target: i64) -> i64 {
        let q = (target - 1).div_euclid(self.week_sum);
        let rem = target - q * self.week_sum; // in 1..=week_sum
        let r = (1..=7).find(|&r| self.pre[r] >= rem).unwrap_or(7);
        7 * q + r as i64
    }

    /// `C(day)`: work available on days `0 .. day` (negative for days before day 0).
    fn cum_of(&self, day: Day) -> i64 {
        let k = match (self.ex_days.first(), self.ex_days.last()) {
            (Some(&first), _) if day <= first => 0,
            (_, Some(&last)) if day > last => self.ex_days.len(),
            _ => self.ex_days.partition_point(|&e| e < day),
        };
        self.cum_in_segment(day, k)
    }

    /// `C(day)` given that exactly the first `k` exceptions lie before `day`.
    /// Exceptions before day 0 count negatively, like the days they sit on.
    fn cum_in_segment(&self, day: Day, k: usize) -> i64 {
        self.periodic(day + self.day0_weekday) - self.periodic0 + self.ex_delta[k] - self.delta0
    }

    /// The smallest day `x` with `C(x) >= value`, or `None` if the profile never gets
    /// there (no working time from some point on).
    fn first_reaching_of(&self, value: i64) -> Option<Day> {
        // Between consecutive exceptions the correction is constant, so find the first
        // segment whose right end reaches the value, then invert the weekly pattern.
        let n = self.ex_days.len();
        let k = self.ex_cum.partition_point(|&c| c < value);
        let lower = if k == 0 {
            None
        } else {
            Some(self.ex_days[k - 1] + 1)
        };
        if k < n {
            // The answer lies in (ex_days[k-1], ex_days[k]] where the correction is
            // that of the first k exceptions.
            let x = self.invert_with_correction(value, k, lower)?;
            return Some(x.min(self.ex_days[k]));
        }
        self.invert_with_correction(value, n, lower)
    }

    /// Smallest day `x >= lower` with `periodic part(x) + correction_k >= value`.
    fn invert_with_correction(&self, value: i64, k: usize, lower: Option<Day>) -> Option<Day> {
        let correction = self.ex_delta[k] - self.delta0;
        let target = value - correction + self.periodic0;
        let x = if self.week_sum > 0 {
            self.periodic_inverse(target) - self.day0_weekday
        } else if self.periodic0 >= target {
            // No weekly work: the total is flat, so the lower end reaches it already.
            return lower.or(Some(Day::MIN / 4));
        } else {
            return None;
        };
        Some(match lower {
            Some(l) => x.max(l),
            None => x,
        })
    }
}

/// The same queries without importing the trait.
impl Profile {
    pub fn rate(&self, day: Day) -> i64 {
        self.rate_of(day)
    }

    pub fn cum(&self, day: Day) -> i64 {
        self.cum_of(day)
    }

    pub fn first_reaching(&self, value: i64) -> Option<Day> {
        self.first_reaching_of(value)
    }

    pub fn next_working(&self, day: Day) -> Option<Day> {
        WorkCalendar::next_working(self, day)
    }

    pub fn prev_working(&self, day: Day) -> Option<Day> {
        WorkCalendar::prev_working(self, day)
    }
}

impl WorkCalendar for Profile {
    fn rate(&self, day: Day) -> i64 {
        self.rate_of(day)
    }

    fn cum(&self, day: Day) -> i64 {
        self.cum_of(day)
    }

    fn first_reaching(&self, value: i64) -> Option<Day> {
        self.first_reaching_of(value)
    }

    /// The last day on or before `day` with work, if any.
    fn prev_working(&self, day: Day) -> Option<Day> {
        if self.rate_of(day) > 0 {
            return Some(day);
        }
        let before = self.cum_of(day + 1);
        // The smallest x with C(x) >= C(day+1) is one past the last working day <= day;
        // with no work before at all, that x is not a real day.
        let x = self.first_reaching_of(before)?;
        if x <= Day::MIN / 8 {
            return None;
        }
        Some(x - 1)
    }
}

/// A profile tabulated over a span of days, for answering the same queries thousands
/// of times (Monte Carlo): rates and running totals are lookups, and for the common
/// case of a constant rate on working days, finishing a piece of work is one index
/// operation. Outside the span it defers to the compact profile.
#[derive(Debug, Clone)]
pub struct DenseProfile {
    sparse: Profile,
    lo: Day,
    rates: Vec<i64>,
    /// `cum[i]` = `C(lo + i)`.
    cum: Vec<i64>,
    /// The rate of every working day in the span, when they are all equal.
    uniform: Option<i64>,
    /// Per day of the span: the working days before it, shifted left by one, with
    /// the lowest bit set if it is a working day. The scheduling passes read only
    /// this and `working_day` on uniform calendars, four bytes a day where an
    /// eight-byte rate and a separate count took twelve (forecast of a generated
    /// 1,000-task program: 7 % fewer first-level cache misses).
    days: Vec<u32>,
    /// The `k`-th working day of the span, as an offset from `lo`.
    working_day: Vec<u32>,
}

impl DenseProfile {
    /// Tabulates `profile` over days `lo .. hi`.
    pub fn new(profile: &Profile, lo: Day, hi: Day) -> DenseProfile {
        let hi = hi.max(lo);
        let n = (hi - lo) as usize;
        let mut rates = Vec::with_capacity(n);
        let mut cum = Vec::with_capacity(n + 1);
        let mut days = Vec::with_capacity(n + 1);
        let mut working_day = Vec::new();
        let mut total = profile.cum(lo);
        let mut uniform: Option<Option<i64>> = None;
        for i in 0..n {
            let d = lo + i as Day;
            let r = profile.rate(d);
            cum.push(total);
            days.push((working_day.len() as u32) << 1 | u32::from(r > 0));
            if r > 0 {
                working_day.push(i as u32);
                uniform = match uniform {
                    None => Some(Some(r)),
                    Some(Some(u)) if u == r => Some(Some(u)),
                    _ => Some(None),
                };
            }
            rates.push(r);
            total += r;
        }
        cum.push(total);
        days.push((working_day.len() as u32) << 1);
        DenseProfile {
            sparse: profile.clone(),
            lo,
            rates,
            cum,
            uniform: uniform.flatten(),
            days,
            working_day,
        }
    }

    #[inline]
    fn index(&self, day: Day) -> Option<usize> {
        let i = day - self.lo;
        (i >= 0 && (i as usize) < self.rates.len()).then_some(i as usize)
    }
}

impl WorkCalendar for DenseProfile {
    #[inline]
    fn rate(&self, day: Day) -> i64 {
        match (self.index(day), self.uniform) {
            (Some(i), Some(rate)) => rate * i64::from(self.days[i] & 1),
            (Some(i), None) => self.rates[i],
            (None, _) => self.sparse.rate(day),
        }
    }

    #[inline]
    fn cum(&self, day: Day) -> i64 {
        let i = day - self.lo;
        if i >= 0 && (i as usize) < self.cum.len() {
            self.cum[i as usize]
        } else {
            self.sparse.cum(day)
        }
    }

    #[inline]
    fn first_reaching(&self, value: i64) -> Option<Day> {
        let (first, last) = (self.cum[0], self.cum[self.cum.len() - 1]);
        if value > first && value <= last {
            if let Some(rate) = self.uniform {
                // With one rate, the total reaches `value` the day after the k-th
                // working day of the span.
                let k = (value - first + rate - 1) / rate;
                if let Some(&w) = self.working_day.get(k as usize - 1) {
                    return Some(self.lo + w as Day + 1);
                }
            }
            let i = self.cum.partition_point(|&c| c < value);
            return Some(self.lo + i as Day);
        }
        self.sparse.first_reaching(value)
    }

    #[inline]
    fn next_working(&self, day: Day) -> Option<Day> {
        match self.index(day) {
            Some(i) if self.days[i] & 1 == 1 => Some(day),
            Some(i) => match self.working_day.get((self.days[i] >> 1) as usize) {
                Some(&w) => Some(self.lo + w as Day),
                None => self.sparse.next_working(day),
            },
            None => self.sparse.next_working(day),
        }
    }

    fn prev_working(&self, day: Day) -> Option<Day> {
        self.sparse.prev_working(day)
    }

    #[inline]
    fn finish_day(&self, start: Day, req: i64) -> Option<Day> {
        if let (Some(rate), Some(i)) = (self.uniform, self.index(start))
            && self.days[i] & 1 == 1
        {
            let days = (req + rate - 1) / rate;
            let k = (self.days[i] >> 1) as i64 + days - 1;
            if let Some(&w) = self.working_day.get(k as usize) {
                return Some(self.lo + w as Day);
            }
        }
        self.first_reaching(self.cum(start) + req).map(|x| x - 1)
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

    /// Mon-Fri, with a holiday on day 7 (the second Monday) and a half day on day -3.
    fn rate_of(d: Day) -> i64 {
        if d == 7 || d.rem_euclid(7) >= 5 {
            0
        } else if d == -3 {
            500
        } else {
            1000
        }
    }

    fn profile() -> Profile {
        Profile::build(origin(), mon_fri(), [7, -3, 7, 20], rate_of)
    }

    fn brute_cum(day: Day) -> i64 {
        if day >= 0 {
            (0..day).map(rate_of).sum()
        } else {
            -(day..0).map(rate_of).sum::<i64>()
        }
    }

    #[test]
    fn cumulative_matches_day_by_day_sum_inside_and_outside_the_table() {
        let p = profile();
        for day in -40..60 {
            assert_eq!(p.cum(day), brute_cum(day), "day {day}");
            assert_eq!(p.rate(day), rate_of(day), "day {day}");
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
        let p = Profile::build(origin(), [0; 7], [], |_| 0);
        assert!(!p.works_eventually());
        assert_eq!(p.first_reaching(1), None);
        assert_eq!(p.next_working(0), None);
        assert_eq!(p.prev_working(0), None);
    }

    #[test]
    fn work_stops_forever_after_the_table_when_the_week_is_empty() {
        // Someone who works days 0..5 and then leaves: the week pattern is empty.
        let p = Profile::build(origin(), [0; 7], 0..5, |_| 1000);
        assert_eq!(p.first_reaching(5000), Some(5));
        assert_eq!(p.first_reaching(5001), None);
        assert_eq!(p.prev_working(100), Some(4));
        assert_eq!(p.next_working(-20), Some(0));
        assert_eq!(p.prev_working(-1), None);
    }

    proptest::proptest! {
        #[test]
        fn dense_tables_answer_exactly_like_the_compact_profile(
            week in proptest::array::uniform7(0i64..3),
            exceptions in proptest::collection::vec((-20i64..60, 0i64..4), 0..10),
            lo in -30i64..10,
            len in 0i64..90,
        ) {
            let rate = |d: Day| match exceptions.iter().rev().find(|(e, _)| *e == d) {
                Some((_, r)) => *r * 500,
                None => week[d.rem_euclid(7) as usize] * 500,
            };
            let p = Profile::build(origin(), week.map(|w| w * 500), exceptions.iter().map(|e| e.0), rate);
            let d = DenseProfile::new(&p, lo, lo + len);
            for day in -60..120 {
                proptest::prop_assert_eq!(WorkCalendar::rate(&d, day), p.rate(day));
                proptest::prop_assert_eq!(WorkCalendar::cum(&d, day), p.cum(day));
                proptest::prop_assert_eq!(WorkCalendar::next_working(&d, day), p.next_working(day));
                for req in [1i64, 499, 500, 1000, 2600] {
                    proptest::prop_assert_eq!(
                        d.finish_day(day, req),
                        WorkCalendar::finish_day(&p, day, req),
                        "day {} req {}", day, req
                    );
                }
            }
            for value in (-6000..9000).step_by(250) {
                proptest::prop_assert_eq!(WorkCalendar::first_reaching(&d, value), p.first_reaching(value));
            }
        }

        #[test]
        fn random_profiles_agree_with_day_by_day_sums(
            week in proptest::array::uniform7(0i64..3),
            exceptions in proptest::collection::vec((-60i64..80, 0i64..4), 0..12),
            origin_shift in 0u64..7,
        ) {
            let origin = origin() + chrono::Days::new(origin_shift);
            let o_wd = origin.weekday().num_days_from_monday() as i64;
            let rate = |d: Day| {
                match exceptions.iter().rev().find(|(e, _)| *e == d) {
                    Some((_, r)) => *r * 500,
                    None => week[(d + o_wd).rem_euclid(7) as usize] * 500,
                }
            };
            let p = Profile::build(origin, week.map(|w| w * 500), exceptions.iter().map(|e| e.0), rate);
            let brute = |day: Day| -> i64 {
                if day >= 0 { (0..day).map(rate).sum() } else { -(day..0).map(rate).sum::<i64>() }
            };
            for day in -120..160 {
                proptest::prop_assert_eq!(p.cum(day), brute(day));
                proptest::prop_assert_eq!(p.rate(day), rate(day));
            }
            for value in (-8000..9000).step_by(250) {
                match p.first_reaching(value) {
                    Some(x) if x > Day::MIN / 8 => {
                        proptest::prop_assert!(p.cum(x) >= value);
                        proptest::prop_assert!(p.cum(x - 1) < value);
                    }
                    Some(_) => proptest::prop_assert!(brute(-120) >= value),
                    None => proptest::prop_assert!(week.iter().sum::<i64>() == 0),
                }
            }
        }
    }
}
