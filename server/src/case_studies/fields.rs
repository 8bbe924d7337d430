//! A case study's fields: what may be given, the checks on each, and the computed saving.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Contract terms a case study may say it used: (key, label).
pub const TERMS: &[(&str, &str)] = &[
    ("benchmarking_clause", "Benchmarking clause"),
    ("open_book", "Open-book accounting"),
    ("gain_share", "Gain-share"),
    ("joint_venture", "Joint venture"),
    ("fixed_price", "Fixed price"),
    ("service_credits", "Service credits"),
    ("break_clause", "Break clause"),
    ("collaboration_agreement", "Collaboration agreement (s22A)"),
];

/// The largest sum of money accepted, in pounds (£100bn): larger is a typing slip, and sums
/// stay far from overflow when compared.
pub const MAX_POUNDS: i64 = 100_000_000_000;
const MAX_NAMES: usize = 20;
const NAME_CHARS: usize = 120;
const TEXT_CHARS: usize = 10_000;
const CONTACT_CHARS: usize = 300;
const MAX_MONTHS: i32 = 600;

/// One field's problem, for a 422 that names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A case study's fields as sent (JSON or a form), before they are checked.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStudyInput {
    /// A service area's slug (`GET /api/v1/service-areas`).
    pub service_area: String,
    /// The forces (or other organisations) involved.
    #[serde(default)]
    pub forces: Vec<String>,
    #[serde(default)]
    pub suppliers: Vec<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2024-04-01")]
    pub contract_start: Option<String>,
    /// Contract length in months.
    #[serde(default)]
    pub contract_months: Option<i32>,
    /// Total contract value, whole pounds.
    #[serde(default)]
    pub contract_value: i64,
    /// Annual cost of the service before the change, whole pounds.
    pub annual_cost_before: i64,
    /// Annual cost after, whole pounds.
    pub annual_cost_after: i64,
    /// Keys from the contract-terms list (`benchmarking_clause`, `open_book`, …).
    #[serde(default)]
    #[schema(value_type = Vec<crate::routes::case_studies::TermParam>)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub outcomes: String,
    #[serde(default)]
    pub lessons: String,
    /// Who to ask about it.
    #[serde(default)]
    pub contact: String,
    /// A document attached in the case study's thread that holds the figures.
    #[serde(default)]
    pub source_document_id: Option<i32>,
}

/// Checked fields (the service area still as a slug: the store resolves it).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseStudyFields {
    pub service_area: String,
    pub forces: Vec<String>,
    pub suppliers: Vec<String>,
    pub contract_start: Option<NaiveDate>,
    pub contract_months: Option<i32>,
    pub contract_value: i64,
    pub annual_cost_before: i64,
    pub annual_cost_after: i64,
    pub terms: Vec<String>,
    pub outcomes: String,
    pub lessons: String,
    pub contact: String,
    pub source_document_id: Option<i32>,
}

/// The saving, as computed from the annual costs, with its basis in words.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Saving {
    /// Pounds a year (negative when the cost rose).
    pub amount: i64,
    /// Percent of the annual cost before, to one decimal place.
    pub percent: f64,
    /// How it was worked out.
    pub basis: String,
}

/// `1234567` → `£1,234,567`; negative sums keep their sign before the pound.
pub fn pounds(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}£{out}", if amount < 0 { "-" } else { "" })
}

impl Saving {
    /// (before − after) ÷ before, a year. `before` is positive (checked on input).
    pub fn compute(before: i64, after: i64) -> Saving {
        let amount = before - after;
        let percent = if before > 0 {
            (amount as f64 * 1000.0 / before as f64).round() / 10.0
        } else {
            0.0
        };
        let basis = format!(
            "Annual cost {} before and {} after: {} a year {} ({}% of the cost before).",
            pounds(before),
            pounds(after),
            pounds(amount.abs()),
            if amount >= 0 { "less" } else { "more" },
            percent.abs()
        );
        Saving {
            amount,
            percent,
            basis,
        }
    }
}

fn names(
    field: &'static str,
    given: &[String],
    at_least: usize,
) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for raw in given {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            continue;
        }
        if name.chars().count() > NAME_CHARS {
            return Err(problem(
                field,
                format!("each name has at most {NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(problem(field, "names may not hold control characters"));
        }
        if !out.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    if out.len() > MAX_NAMES {
        return Err(problem(field, format!("give at most {MAX_NAMES} names")));
    }
    if out.len() < at_least {
        return Err(problem(field, "give at least one name"));
    }
    Ok(out)
}

fn money(field: &'static str, value: i64) -> Result<i64, FieldError> {
    if !(0..=MAX_POUNDS).contains(&value) {
        return Err(problem(
            field,
            format!("give whole pounds from 0 to {}", pounds(MAX_POUNDS)),
        ));
    }
    Ok(value)
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(problem(field, format!("write at most {max} characters")));
    }
    Ok(value.to_string())
}

impl CaseStudyInput {
    pub fn check(&self) -> Result<CaseStudyFields, FieldError> {
        let service_area = self.service_area.trim().to_lowercase();
        if service_area.is_empty() {
            return Err(problem("service_area", "choose a service area"));
        }
        let contract_start = match self.contract_start.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|d| (1990..=2100).contains(&chrono::Datelike::year(d)))
                    .ok_or_else(|| {
                        problem(
                            "contract_start",
                            "write the date as YYYY-MM-DD (1990 to 2100)",
                        )
                    })?,
            ),
        };
        if let Some(m) = self.contract_months {
            if !(1..=MAX_MONTHS).contains(&m) {
                return Err(problem(
                    "contract_months",
                    format!("give a length from 1 to {MAX_MONTHS} months"),
                ));
            }
        }
        let before = money("annual_cost_before", self.annual_cost_before)?;
        if before == 0 {
            return Err(problem(
                "annual_cost_before",
                "give the annual cost before the change (more than £0): the saving is worked out from it",
            ));
        }
        let mut terms: Vec<String> = Vec::new();
        for t in &self.terms {
            let key = t.trim().to_lowercase();
            if !TERMS.iter().any(|(k, _)| *k == key) {
                return Err(problem(
                    "terms",
                    format!(
                        "{t:?} is not a contract term; use {}",
                        TERMS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            if !terms.contains(&key) {
                terms.push(key);
            }
        }
        Ok(CaseStudyFields {
            service_area,
            forces: names("forces", &self.forces, 1)?,
            suppliers: names("suppliers", &self.suppliers, 0)?,
            contract_start,
            contract_months: self.contract_months,
            contract_value: money("contract_value", self.contract_value)?,
            annual_cost_before: before,
            annual_cost_after: money("annual_cost_after", self.annual_cost_after)?,
            terms,
            outcomes: text("outcomes", &self.outcomes, TEXT_CHARS)?,
            lessons: text("lessons", &self.lessons, TEXT_CHARS)?,
            contact: text("contact", &self.contact, CONTACT_CHARS)?,
            source_document_id: self.source_document_id,
        })
    }
}

/// A term's label, from its key.
pub fn term_label(key: &str) -> &'static str {
    TERMS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("Other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CaseStudyInput {
        CaseStudyInput {
            service_area: "Custody".into(),
            forces: vec![
                "Kent Police".into(),
                " kent  police ".into(),
                "Essex Police".into(),
            ],
            annual_cost_before: 1_200_000,
            annual_cost_after: 1_020_000,
            terms: vec!["benchmarking_clause".into()],
            ..Default::default()
        }
    }

    #[test]
    fn saving_is_computed_with_its_basis() {
        let s = Saving::compute(1_200_000, 1_020_000);
        assert_eq!(s.amount, 180_000);
        assert_eq!(s.percent, 15.0);
        assert_eq!(
            s.basis,
            "Annual cost £1,200,000 before and £1,020,000 after: £180,000 a year less (15% of the cost before)."
        );
        let rose = Saving::compute(300, 400);
        assert_eq!((rose.amount, rose.percent), (-100, -33.3));
        assert!(rose.basis.contains("£100 a year more"));
        assert_eq!(Saving::compute(3, 2).percent, 33.3);
    }

    #[test]
    fn pounds_are_grouped() {
        assert_eq!(pounds(0), "£0");
        assert_eq!(pounds(999), "£999");
        assert_eq!(pounds(1000), "£1,000");
        assert_eq!(pounds(-1_234_567), "-£1,234,567");
    }

    #[test]
    fn checks_name_the_field() {
        let ok = input().check().unwrap();
        assert_eq!(ok.service_area, "custody");
        assert_eq!(ok.forces, vec!["Kent Police", "Essex Police"]);
        let field = |i: CaseStudyInput| i.check().unwrap_err().field;
        assert_eq!(
            field(CaseStudyInput {
                forces: vec![],
                ..input()
            }),
            "forces"
        );
        assert_eq!(
            field(CaseStudyInput {
                annual_cost_before: 0,
                ..input()
            }),
            "annual_cost_before"
        );
        assert_eq!(
            field(CaseStudyInput {
                annual_cost_after: -1,
                ..input()
            }),
            "annual_cost_after"
        );
        assert_eq!(
            field(CaseStudyInput {
                contract_value: MAX_POUNDS + 1,
                ..input()
            }),
            "contract_value"
        );
        assert_eq!(
            field(CaseStudyInput {
                terms: vec!["bribes".into()],
                ..input()
            }),
            "terms"
        );
        assert_eq!(
            field(CaseStudyInput {
                contract_start: Some("2024-02-30".into()),
                ..input()
            }),
            "contract_start"
        );
        assert_eq!(
            field(CaseStudyInput {
                contract_months: Some(0),
                ..input()
            }),
            "contract_months"
        );
        assert_eq!(
            field(CaseStudyInput {
                service_area: " ".into(),
                ..input()
            }),
            "service_area"
        );
        assert_eq!(
            field(CaseStudyInput {
                suppliers: vec!["x".repeat(121)],
                ..input()
            }),
            "suppliers"
        );
    }
}
