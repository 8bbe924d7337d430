//! The query language people type: words, "phrases", -exclusion, OR, prefix*, and filters
//! (`space:`, `tag:`, `author:`, `force:`, `marking:`, `is:best-practice`, `is:superseded`,
//! `before:`, `after:`, `in:title`, and for case studies `area:`, `supplier:`, `saving>=10`,
//! `value<500000`). Parsing is pure; errors say what is wrong and at which character.
use crate::SearchError;

/// A unit of text to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Word(String),
    Prefix(String),
    Phrase(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Space(String),
    Tag(String),
    Author(String),
    Force(String),
    Marking(String),
    /// `type:discussion`, `type:document`, or a document's file type (`type:pdf`).
    Kind(String),
    /// Endorsed best practice that is current (or under review).
    BestPractice,
    /// Endorsed best practice that something newer replaced.
    Superseded,
    /// A case study's service area (slug).
    Area(String),
    /// A case study's supplier (every word of the name).
    Supplier(String),
    /// A case study's saving in percent, compared.
    Saving(Comparison, f64),
    /// A case study's contract value in pounds, compared.
    Value(Comparison, i64),
    /// Created strictly before this Unix time (start of the given day, UTC).
    Before(i64),
    /// Created on or after this Unix time (start of the given day, UTC).
    After(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    AtMost,
    Equal,
    AtLeast,
    More,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedQuery {
    /// Groups of alternatives: `a b OR c` is `[[a], [b, c]]`. Matching more groups ranks higher.
    pub groups: Vec<Vec<Text>>,
    pub excluded: Vec<Text>,
    pub filters: Vec<Filter>,
    pub excluded_filters: Vec<Filter>,
    /// `in:title`: text matches only in thread titles.
    pub title_only: bool,
}

impl ParsedQuery {
    pub fn has_text(&self) -> bool {
        !self.groups.is_empty()
    }
}

pub const FILTERS: &[&str] = &[
    "space", "tag", "author", "force", "marking", "type", "is", "before", "after", "in", "area",
    "supplier",
];

/// Numbers that can be compared (`saving>=10`, `value<500000`).
pub const COMPARABLE: &[&str] = &["saving", "value"];

/// What `type:` takes: the two kinds of hit, and documents' file types.
pub const TYPES: &[&str] = &[
    "discussion",
    "document",
    "pdf",
    "docx",
    "odt",
    "xlsx",
    "ods",
    "pptx",
    "txt",
    "md",
    "csv",
];

fn error(message: impl Into<String>, position: usize) -> SearchError {
    SearchError::Query {
        message: message.into(),
        position,
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    _src: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
            _src: src,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// A quoted string starting at the current `"`; returns its content.
    fn quoted(&mut self) -> Result<String, SearchError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(error("this quote is never closed", start + 1)),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A bare run of characters up to whitespace or a quote.
    fn bare(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == '"' {
                break;
            }
            out.push(c);
            self.pos += 1;
        }
        out
    }
}

/// Parses `YYYY-MM-DD` to the Unix time of that day's start, UTC.
fn parse_day(value: &str, position: usize) -> Result<i64, SearchError> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp())
        .ok_or_else(|| {
            error(
                format!("{value:?} is not a date; write YYYY-MM-DD"),
                position,
            )
        })
}

fn filter(key: &str, value: &str, position: usize) -> Result<Option<Filter>, SearchError> {
    let value_pos = position + key.chars().count() + 2;
    if value.trim().is_empty() {
        return Err(error(format!("{key}: needs a value"), value_pos));
    }
    let v = value.trim().to_string();
    Ok(Some(match key {
        "space" => Filter::Space(v.to_lowercase()),
        "tag" => Filter::Tag(v.to_lowercase()),
        "author" => Filter::Author(v.to_lowercase()),
        "force" => Filter::Force(v),
        "marking" => match v.to_lowercase().as_str() {
            m @ ("official" | "official-sensitive") => Filter::Marking(m.to_string()),
            _ => {
                return Err(error(
                    "marking: is official or official-sensitive",
                    value_pos,
                ))
            }
        },
        "type" => match v.to_lowercase().as_str() {
            t if TYPES.contains(&t) => Filter::Kind(t.to_string()),
            _ => {
                return Err(error(
                    format!("type: takes one of {}", TYPES.join(", ")),
                    value_pos,
                ))
            }
        },
        "is" => match v.to_lowercase().as_str() {
            "best-practice" | "best_practice" => Filter::BestPractice,
            "superseded" => Filter::Superseded,
            _ => return Err(error("is: takes best-practice or superseded", value_pos)),
        },
        "area" => Filter::Area(v.to_lowercase().replace([' ', '_'], "-")),
        "supplier" => Filter::Supplier(v),
        "before" => Filter::Before(parse_day(&v, value_pos)?),
        "after" => Filter::After(parse_day(&v, value_pos)?),
        "in" => match v.to_lowercase().as_str() {
            "title" => return Ok(None),
            _ => return Err(error("in: takes title", value_pos)),
        },
        _ => unreachable!("only known keys reach here"),
    }))
}

/// `saving>=10`, `value<500k`, `saving=15%`, `value<=£1.2m`: `None` when the token is not a
/// comparison of a known number; an error when it is one but malformed.
fn as_comparison(token: &str, position: usize) -> Result<Option<Filter>, SearchError> {
    let Some(key) = COMPARABLE.iter().find(|k| {
        token.len() > k.len()
            && token
                .get(..k.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(k))
    }) else {
        return Ok(None);
    };
    let rest = &token[key.len()..];
    let (op, number) = if let Some(n) = rest.strip_prefix(">=") {
        (Comparison::AtLeast, n)
    } else if let Some(n) = rest.strip_prefix("<=") {
        (Comparison::AtMost, n)
    } else if let Some(n) = rest.strip_prefix('>') {
        (Comparison::More, n)
    } else if let Some(n) = rest.strip_prefix('<') {
        (Comparison::Less, n)
    } else if let Some(n) = rest.strip_prefix('=') {
        (Comparison::Equal, n)
    } else {
        return Ok(None);
    };
    let at = position + key.len();
    let cleaned = number
        .trim_start_matches('£')
        .trim_end_matches('%')
        .replace(',', "");
    let (digits, scale) = match cleaned.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&cleaned[..cleaned.len() - 1], 1e3),
        Some('m') => (&cleaned[..cleaned.len() - 1], 1e6),
        _ => (cleaned.as_str(), 1.0),
    };
    let value = digits
        .parse::<f64>()
        .ok()
        .filter(|v| {
            v.is_finite()
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        })
        .map(|v| v * scale)
        .ok_or_else(|| {
            error(
                format!(
                    "{key} needs a number after {}",
                    &rest[..rest.len() - number.len()]
                ),
                at,
            )
        })?;
    Ok(Some(if *key == "saving" {
        Filter::Saving(op, value)
    } else {
        Filter::Value(op, value.round().clamp(-1e15, 1e15) as i64)
    }))
}

/// Splits `key:value` when `key` looks like a filter name (so URLs stay words).
fn as_filter(token: &str) -> Option<(&str, &str)> {
    let (key, value) = token.split_once(':')?;
    let looks_like_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-');
    (looks_like_key && !value.starts_with("//")).then_some((key, value))
}

fn text_unit(raw: &str, position: usize) -> Result<Text, SearchError> {
    if let Some(stem) = raw.strip_suffix('*') {
        if stem.contains('*') {
            return Err(error("a * may only end a word", position));
        }
        if stem.chars().count() < MIN_PREFIX_CHARS {
            return Err(error(
                format!("write at least {MIN_PREFIX_CHARS} letters before *"),
                position,
            ));
        }
        return Ok(Text::Prefix(stem.to_lowercase()));
    }
    if let Some(i) = raw.find('*') {
        return Err(error(
            "a * may only end a word",
            position + raw[..i].chars().count(),
        ));
    }
    Ok(Text::Word(raw.to_string()))
}

/// Letters a prefix needs before its `*`: shorter ones match too much of the index.
pub const MIN_PREFIX_CHARS: usize = 3;
/// Words ending in `*` allowed in one query; each is expanded in every text field.
pub const MAX_PREFIXES: usize = 4;

pub fn parse(src: &str) -> Result<ParsedQuery, SearchError> {
    if src.chars().count() > 1000 {
        return Err(error("the query is longer than 1000 characters", 1000));
    }
    let mut lx = Lexer::new(src);
    let mut q = ParsedQuery::default();
    let mut pending_or: Option<usize> = None;
    loop {
        lx.skip_space();
        let Some(c) = lx.peek() else { break };
        let start = lx.pos;
        let negated = c == '-' && lx.chars.get(lx.pos + 1).is_some_and(|n| !n.is_whitespace());
        if negated {
            lx.pos += 1;
        }
        let (unit, filter_unit) = if lx.peek() == Some('"') {
            (Some(Text::Phrase(lx.quoted()?)), None)
        } else {
            let token = lx.bare();
            if token == "OR" && !negated {
                if q.groups.is_empty() || pending_or.is_some() {
                    return Err(error("OR needs a word before it", start + 1));
                }
                pending_or = Some(start);
                continue;
            }
            let compared = as_comparison(&token, start + 1 + usize::from(negated))?;
            match as_filter(&token).filter(|_| compared.is_none()) {
                _ if compared.is_some() => (None, compared),
                Some((key, value)) => {
                    let key_lower = key.to_lowercase();
                    if !FILTERS.contains(&key_lower.as_str()) {
                        return Err(error(
                            format!("unknown filter {key}:, use one of {}", FILTERS.join(": "))
                                + ":",
                            start + 1,
                        ));
                    }
                    let value = if value.is_empty() && lx.peek() == Some('"') {
                        lx.quoted()?
                    } else {
                        value.to_string()
                    };
                    if key_lower == "in" && !negated {
                        filter("in", &value, start)?;
                        q.title_only = true;
                        continue;
                    }
                    (
                        None,
                        filter(&key_lower, &value, start + usize::from(negated))?,
                    )
                }
                None => (
                    Some(text_unit(&token, start + 1 + usize::from(negated))?),
                    None,
                ),
            }
        };
        if let Some(f) = filter_unit {
            if pending_or.is_some() {
                return Err(error("OR joins words or phrases, not filters", start + 1));
            }
            if negated {
                q.excluded_filters.push(f);
            } else {
                q.filters.push(f);
            }
            continue;
        }
        let Some(unit) = unit else { continue };
        if negated {
            if pending_or.is_some() {
                return Err(error("OR cannot join an exclusion", start + 1));
            }
            q.excluded.push(unit);
        } else if pending_or.take().is_some() {
            if let Some(last) = q.groups.last_mut() {
                last.push(unit);
            }
        } else {
            q.groups.push(vec![unit]);
        }
    }
    if let Some(at) = pending_or {
        return Err(error("OR needs a word after it", at + 1));
    }
    let prefixes = q
        .groups
        .iter()
        .flatten()
        .chain(&q.excluded)
        .filter(|u| matches!(u, Text::Prefix(_)))
        .count();
    if prefixes > MAX_PREFIXES {
        return Err(error(
            format!("use at most {MAX_PREFIXES} words ending in * in one search"),
            src.find('*').map_or(1, |i| src[..i].chars().count() + 1),
        ));
    }
    Ok(q)
}

/// Makes text safe to run as plain words: quotes, filters, exclusions, wildcards and OR lose
/// their meaning. Used where text comes from elsewhere (evaluation sets, titles).
pub fn escape(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| if matches!(c, '"' | '*' | ':') { ' ' } else { c })
        .collect();
    plain
        .split_whitespace()
        .map(|w| match w.trim_start_matches('-') {
            "OR" => "or",
            other => other,
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(q: &str) -> usize {
        match parse(q) {
            Err(SearchError::Query { position, .. }) => position,
            other => panic!("{q}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn words_phrases_or_and_exclusions() {
        let q = parse(r#"cloud "custody software" OR rms -airwave bench*"#).unwrap();
        assert_eq!(
            q.groups,
            vec![
                vec![Text::Word("cloud".into())],
                vec![
                    Text::Phrase("custody software".into()),
                    Text::Word("rms".into())
                ],
                vec![Text::Prefix("bench".into())],
            ]
        );
        assert_eq!(q.excluded, vec![Text::Word("airwave".into())]);
    }

    #[test]
    fn filters() {
        let q = parse(r#"space:it-digital tag:Cloud author:a@b.uk force:"Thames Valley" marking:OFFICIAL-SENSITIVE is:best-practice after:2026-01-01 before:2026-02-01 in:title"#).unwrap();
        assert!(q.title_only);
        assert!(!q.has_text());
        assert_eq!(q.filters[0], Filter::Space("it-digital".into()));
        assert_eq!(q.filters[1], Filter::Tag("cloud".into()));
        assert_eq!(q.filters[3], Filter::Force("Thames Valley".into()));
        assert_eq!(q.filters[4], Filter::Marking("official-sensitive".into()));
        assert_eq!(q.filters[6], Filter::After(1767225600));
        let q = parse("-tag:cloud x").unwrap();
        assert_eq!(q.excluded_filters, vec![Filter::Tag("cloud".into())]);
        assert_eq!(
            parse("see https://example.org/x").unwrap().groups.len(),
            2,
            "URLs are words"
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(pos(r#"a "open"#), 3);
        assert_eq!(pos("colour:red"), 1);
        assert_eq!(pos("x after:2026-13-01"), 9);
        assert_eq!(pos("OR x"), 1);
        assert_eq!(pos("x OR"), 3);
        assert_eq!(pos("a*b"), 2);
        assert_eq!(pos("x*"), 1);
        assert_eq!(pos("ab*"), 1);
        assert!(parse("abc*").is_ok());
        assert!(parse("abc* def* ghi* jkl*").is_ok());
        assert_eq!(pos("abc* def* ghi* jkl* mno*"), 4);
        assert_eq!(pos("marking:secret"), 9);
        assert_eq!(pos("is:"), 4);
    }

    #[test]
    fn comparisons_and_case_study_filters() {
        let q =
            parse("saving>=10 value<500k -saving>50% area:\"Control room\" supplier:Acme").unwrap();
        assert_eq!(q.filters[0], Filter::Saving(Comparison::AtLeast, 10.0));
        assert_eq!(q.filters[1], Filter::Value(Comparison::Less, 500_000));
        assert_eq!(q.filters[2], Filter::Area("control-room".into()));
        assert_eq!(q.filters[3], Filter::Supplier("Acme".into()));
        assert_eq!(
            q.excluded_filters,
            vec![Filter::Saving(Comparison::More, 50.0)]
        );
        assert_eq!(
            parse("value<=£1.5m").unwrap().filters,
            vec![Filter::Value(Comparison::AtMost, 1_500_000)]
        );
        assert_eq!(
            parse("saving=15").unwrap().filters,
            vec![Filter::Saving(Comparison::Equal, 15.0)]
        );
        assert_eq!(pos("saving>=lots"), 7);
        assert_eq!(pos("value<"), 6);
        assert!(
            parse("savings").unwrap().filters.is_empty(),
            "a word, not a comparison"
        );
    }

    #[test]
    fn escaping_removes_syntax() {
        let e = escape(r#"How do I "redirect" -www OR non-www: site:example.com *.html"#);
        let q = parse(&e).unwrap();
        assert!(q.excluded.is_empty() && q.filters.is_empty());
        assert!(q
            .groups
            .iter()
            .flatten()
            .all(|t| matches!(t, Text::Word(_))));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn escaped_text_always_parses(s in "\\PC{0,60}") {
            proptest::prop_assert!(parse(&escape(&s)).is_ok());
        }
    }
}
