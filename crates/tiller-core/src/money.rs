//! Money as an exact integer number of hundredths of the program's currency unit.

use std::fmt;

/// An amount of money in hundredths of the program currency (cents for USD/EUR).
///
/// Integer arithmetic keeps sums exact and outputs deterministic; rates multiplied by
/// fractional effort are rounded once, at the point of multiplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_units(units: f64) -> Option<Money> {
        let cents = (units * 100.0).round();
        if cents.is_finite() && cents.abs() < 9.0e15 {
            Some(Money(cents as i64))
        } else {
            None
        }
    }

    pub fn as_units(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if cents == 0 {
            write!(f, "{sign}{grouped}")
        } else {
            write!(f, "{sign}{grouped}.{cents:02}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_with_grouping_and_cents() {
        assert_eq!(Money(123_456_789).to_string(), "1,234,567.89");
        assert_eq!(Money(-100).to_string(), "-1");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money::from_units(950.0), Some(Money(95_000)));
        assert_eq!(Money::from_units(f64::INFINITY), None);
    }
}
