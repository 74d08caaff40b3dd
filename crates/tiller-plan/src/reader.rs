//! Typed access to a spanned TOML tree that records a diagnostic for every problem
//! instead of stopping at the first.

use std::ops::Range;

use chrono::NaiveDate;
use tiller_core::{FileId, SourceRef};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic};

pub(crate) type Val<'i> = Spanned<DeValue<'i>>;

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct S<T> {
    pub v: T,
    pub at: SourceRef,
}

/// Reading context for one file: where diagnostics go and how spans become references.
pub(crate) struct Ctx<'d> {
    pub file: FileId,
    pub diags: &'d mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub fn at(&self, span: Range<usize>) -> SourceRef {
        SourceRef::new(self.file, span)
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn error(&mut self, code: Code, span: Range<usize>, message: impl Into<String>) {
        let at = self.at(span);
        self.diags.push(Diagnostic::new(code, at, message));
    }
}

/// Human name of a TOML value's type, with an article, for "expected ..., found ...".
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A table being read, with a description for messages (`task \`pay.api\``).
pub(crate) struct Tbl<'t, 'i> {
    pub map: &'t DeTable<'i>,
    pub span: Range<usize>,
    pub what: String,
}

impl<'t, 'i> Tbl<'t, 'i> {
    pub fn of(ctx: &mut Ctx<'_>, v: &'t Val<'i>, what: impl Into<String>) -> Option<Self> {
        let what = what.into();
        match v.get_ref() {
            DeValue::Table(map) => Some(Tbl {
                map,
                span: v.span(),
                what,
            }),
            other => {
                ctx.push(
                    Diagnostic::new(
                        Code::WrongType,
                        ctx.at(v.span()),
                        format!("{what} must be a table"),
                    )
                    .label(format!("expected a table, found {}", type_name(other))),
                );
                None
            }
        }
    }

    /// Reports every key not in `allowed`, with a suggestion when one is close.
    pub fn check_keys(&self, ctx: &mut Ctx<'_>, allowed: &[&str]) {
        for (key, _) in self.map.iter() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                ctx.at(key.span()),
                format!("unknown key `{name}` in {}", self.what),
            )
            .label("not a key of this table");
            d = if name == "include" && self.what != "the plan file" {
                // TOML puts every key after a `[table]` header into that table.
                d.help("`include` is a top-level key: move it above the first `[table]` header")
            } else {
                match did_you_mean(name, allowed.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("expected one of: {}", allowed.join(", "))),
                }
            };
            ctx.push(d);
        }
    }

    pub fn get(&self, key: &str) -> Option<&'t Val<'i>> {
        self.map.get(key)
    }

    fn wrong_type(&self, ctx: &mut Ctx<'_>, key: &str, v: &Val<'_>, expected: &str) {
        ctx.push(
            Diagnostic::new(
                Code::WrongType,
                ctx.at(v.span()),
                format!("wrong type for `{key}` in {}", self.what),
            )
            .label(format!(
                "expected {expected}, found {}",
                type_name(v.get_ref())
            )),
        );
    }

    pub fn missing(&self, ctx: &mut Ctx<'_>, key: &str, example: &str) {
        ctx.push(
            Diagnostic::new(
                Code::MissingKey,
                ctx.at(self.header_span()),
                format!("{} has no `{key}`", self.what),
            )
            .label(format!("`{key}` is required here"))
            .help(format!("add a line such as `{example}`")),
        );
    }

    /// A short span at the start of the table, so a missing-key diagnostic underlines
    /// the header rather than the whole table.
    fn header_span(&self) -> Range<usize> {
        let first_key = self.map.iter().map(|(k, _)| k.span().start).min();
        let start = self.span.start;
        let end = first_key.unwrap_or(self.span.end).max(start);
        start..end.min(start + 60).max(start)
    }

    pub fn string(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(S {
                v: s.to_string(),
                at: ctx.at(v.span()),
            }),
            _ => {
                self.wrong_type(ctx, key, v, "a string");
                None
            }
        }
    }

    pub fn required_string(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        example: &str,
    ) -> Option<S<String>> {
        if self.get(key).is_none() {
            self.missing(ctx, key, example);
            return None;
        }
        self.string(ctx, key)
    }

    /// A probability: a number from 0 to 1. Anything else is reported and
    /// read as absent.
    pub fn probability(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<f64>> {
        let p = self.number(ctx, key)?;
        if (0.0..=1.0).contains(&p.v) {
            return Some(p);
        }
        ctx.push(
            Diagnostic::new(
                Code::InvalidValue,
                p.at,
                format!("{key} in {} must be between 0 and 1", self.what),
            )
            .label(format!("found {}", p.v))
            .help("write 30 % as 0.3"),
        );
        None
    }

    /// An integer or float as `f64`.
    pub fn number(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<f64>> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => parse_int(i.as_str(), i.radix()).map(|i| i as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(ctx, key, v, "a number");
                return None;
            }
        };
        match n {
            Some(n) if n.is_finite() => Some(S {
                v: n,
                at: ctx.at(v.span()),
            }),
            _ => {
                ctx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        ctx.at(v.span()),
                        format!("`{key}` in {} is not a usable number", self.what),
                    )
                    .label("expected a finite number"),
                );
                None
            }
        }
    }

    /// An amount of money: a number, or a string such as "25k", "1.2M", "25,000".
    pub fn money(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<f64>> {
        let v = self.get(key)?;
        let at = ctx.at(v.span());
        let parsed = match v.get_ref() {
            DeValue::String(s) => crate::values::parse_money(s),
            DeValue::Integer(_) | DeValue::Float(_) => return self.number(ctx, key),
            other => Err(format!(
                "expected an amount such as 25000 or \"25k\", found {}",
                type_name(other)
            )),
        };
        match parsed {
            Ok(m) => Some(S { v: m, at }),
            Err(msg) => {
                ctx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        at,
                        format!("invalid `{key}` in {}", self.what),
                    )
                    .label(msg),
                );
                None
            }
        }
    }

    pub fn integer(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<i64>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Integer(i) => match parse_int(i.as_str(), i.radix()) {
                Some(n) => Some(S {
                    v: n,
                    at: ctx.at(v.span()),
                }),
                None => {
                    ctx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            ctx.at(v.span()),
                            format!("`{key}` in {} is out of range", self.what),
                        )
                        .label("this integer does not fit in 64 bits"),
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(ctx, key, v, "an integer");
                None
            }
        }
    }

    pub fn date(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<S<NaiveDate>> {
        let v = self.get(key)?;
        date_value(ctx, v, &format!("`{key}` in {}", self.what))
    }

    pub fn array(&self, ctx: &mut Ctx<'_>, key: &str) -> Option<&'t [Val<'i>]> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Array(a) => Some(a),
            _ => {
                self.wrong_type(ctx, key, v, "an array");
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub fn strings(&self, ctx: &mut Ctx<'_>, key: &str) -> Vec<S<String>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::String(s) => vec![S {
                v: s.to_string(),
                at: ctx.at(v.span()),
            }],
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push(S {
                            v: s.to_string(),
                            at: ctx.at(item.span()),
                        }),
                        other => ctx.push(
                            Diagnostic::new(
                                Code::WrongType,
                                ctx.at(item.span()),
                                format!("wrong type in `{key}` of {}", self.what),
                            )
                            .label(format!("expected a string, found {}", type_name(other))),
                        ),
                    }
                }
                out
            }
            _ => {
                self.wrong_type(ctx, key, v, "a string or an array of strings");
                Vec::new()
            }
        }
    }
}

fn parse_int(text: &str, radix: u32) -> Option<i64> {
    let cleaned = text.replace('_', "");
    let digits = cleaned
        .trim_start_matches(['+'])
        .trim_start_matches("0x")
        .trim_start_matches("0o")
        .trim_start_matches("0b");
    if radix == 10 {
        cleaned.parse::<i64>().ok()
    } else {
        i64::from_str_radix(digits, radix).ok()
    }
}

/// A date written as a TOML date (`2027-01-18`) or a string in the same form.
pub(crate) fn date_value(ctx: &mut Ctx<'_>, v: &Val<'_>, what: &str) -> Option<S<NaiveDate>> {
    let at = ctx.at(v.span());
    match v.get_ref() {
        DeValue::Datetime(dt) => {
            let (Some(date), None, None) = (dt.date, dt.time, dt.offset) else {
                ctx.push(
                    Diagnostic::new(Code::InvalidValue, at, format!("{what} must be a date"))
                        .label("expected a date such as 2027-01-18, found a date-time")
                        .help("Tiller plans in whole days: drop the time of day"),
                );
                return None;
            };
            match NaiveDate::from_ymd_opt(date.year as i32, date.month as u32, date.day as u32) {
                Some(d) => Some(S { v: d, at }),
                None => {
                    ctx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            at,
                            format!("{what} is not a real date"),
                        )
                        .label("no such day in the calendar"),
                    );
                    None
                }
            }
        }
        DeValue::String(s) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) => Some(S { v: d, at }),
            Err(_) => {
                ctx.push(
                    Diagnostic::new(Code::InvalidValue, at, format!("{what} is not a date"))
                        .label(format!("expected a date such as 2027-01-18, found \"{s}\"")),
                );
                None
            }
        },
        other => {
            ctx.push(
                Diagnostic::new(Code::WrongType, at, format!("wrong type for {what}")).label(
                    format!(
                        "expected a date such as 2027-01-18, found {}",
                        type_name(other)
                    ),
                ),
            );
            None
        }
    }
}
