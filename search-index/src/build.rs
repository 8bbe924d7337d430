//! Turns a parsed query into a tantivy query. The viewer's readable spaces are always a
//! required clause, so nothing outside them can match, be counted or be shown.
use crate::all_groups::AllGroupsBonus;
use crate::query::{Comparison, Filter, ParsedQuery, Text};
use crate::readable::ReadableSpaces;
use crate::schema::{self, Fields};
use crate::Ranking;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// Index terms one `prefix*` may stand for, per field and segment.
pub const MAX_PREFIX_EXPANSIONS: u32 = 50;

pub struct Built {
    pub query: Box<dyn Query>,
    /// The text part alone, for snippets.
    pub text: Option<Box<dyn Query>>,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqsAndPositions,
    ))
}

/// One unit of text in one field: a term, a phrase, or a prefix. `None` when analysis leaves
/// nothing (a stop word).
fn unit_in_field(unit: &Text, field: Field, analyzer: &mut TextAnalyzer) -> Option<Box<dyn Query>> {
    match unit {
        Text::Prefix(stem) => {
            // A one-term phrase prefix is a range over the term dictionary that stops after
            // MAX_PREFIX_EXPANSIONS terms, where a regex would visit every match.
            let mut q = PhrasePrefixQuery::new(vec![Term::from_field_text(field, stem)]);
            q.set_max_expansions(MAX_PREFIX_EXPANSIONS);
            Some(Box::new(q))
        }
        Text::Word(w) | Text::Phrase(w) => {
            let tokens = schema::tokens(analyzer, w);
            match tokens.len() {
                0 => None,
                1 => Some(term_query(field, &tokens[0].1)),
                _ => {
                    let first = tokens[0].0;
                    let terms = tokens
                        .into_iter()
                        .map(|(pos, t)| (pos - first, Term::from_field_text(field, &t)))
                        .collect();
                    Some(Box::new(PhraseQuery::new_with_offset(terms)))
                }
            }
        }
    }
}

fn unit_query(
    unit: &Text,
    fields: &[(Field, f32)],
    ranking: &Ranking,
    analyzer: &mut TextAnalyzer,
) -> Option<Box<dyn Query>> {
    let per_field: Vec<Box<dyn Query>> = fields
        .iter()
        .filter_map(|(field, weight)| {
            unit_in_field(unit, *field, analyzer).map(|q| {
                if (*weight - 1.0).abs() < f32::EPSILON {
                    q
                } else {
                    Box::new(BoostQuery::new(q, *weight)) as Box<dyn Query>
                }
            })
        })
        .collect();
    match per_field.len() {
        0 => None,
        1 => per_field.into_iter().next(),
        _ if ranking.dismax => Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(
            per_field,
            ranking.tie_breaker,
        ))),
        _ => Some(Box::new(BooleanQuery::new(
            per_field.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))),
    }
}

/// The documents whose number compares with `term` as asked; documents without the number
/// (anything but a case study) never match.
fn compared(op: &Comparison, term: Term) -> Box<dyn Query> {
    let (lower, upper) = match op {
        Comparison::Less => (Bound::Unbounded, Bound::Excluded(term)),
        Comparison::AtMost => (Bound::Unbounded, Bound::Included(term)),
        Comparison::Equal => (Bound::Included(term.clone()), Bound::Included(term)),
        Comparison::AtLeast => (Bound::Included(term), Bound::Unbounded),
        Comparison::More => (Bound::Excluded(term), Bound::Unbounded),
    };
    Box::new(RangeQuery::new(lower, upper))
}

fn filter_query(f: &Filter, fields: &Fields, names: &mut TextAnalyzer) -> Box<dyn Query> {
    let all_tokens = |field: Field, text: &str, names: &mut TextAnalyzer| -> Box<dyn Query> {
        let tokens = schema::tokens(names, text);
        if tokens.is_empty() {
            return Box::new(EmptyQuery);
        }
        Box::new(BooleanQuery::new(
            tokens
                .into_iter()
                .map(|(_, t)| (Occur::Must, term_query(field, &t)))
                .collect(),
        ))
    };
    match f {
        Filter::Space(slug) => term_query(fields.space_slug, slug),
        Filter::Tag(tag) => term_query(fields.tag, tag),
        Filter::Author(who) if who.contains('@') => term_query(fields.author_email, who),
        Filter::Author(who) => all_tokens(fields.author_name, who, names),
        Filter::Force(org) => all_tokens(fields.org_name, org, names),
        Filter::Marking(m) => term_query(fields.marking, m),
        Filter::Kind(k) if k == "discussion" || k == "document" => term_query(fields.kind, k),
        Filter::Kind(file_type) => term_query(fields.file_type, file_type),
        Filter::BestPractice => Box::new(TermQuery::new(
            Term::from_field_u64(fields.best_practice, 1),
            IndexRecordOption::Basic,
        )),
        Filter::Superseded => Box::new(TermQuery::new(
            Term::from_field_u64(fields.best_practice, 2),
            IndexRecordOption::Basic,
        )),
        Filter::Area(slug) => term_query(fields.area, slug),
        Filter::Supplier(name) => all_tokens(fields.supplier, name, names),
        Filter::Saving(op, v) => compared(op, Term::from_field_f64(fields.saving, *v)),
        Filter::Value(op, v) => compared(op, Term::from_field_i64(fields.value, *v)),
        Filter::Before(t) => Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Excluded(Term::from_field_i64(fields.created_at, *t)),
        )),
        Filter::After(t) => Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(fields.created_at, *t)),
            Bound::Unbounded,
        )),
    }
}

pub fn build(
    q: &ParsedQuery,
    readable_spaces: &[i32],
    fields: &Fields,
    ranking: &Ranking,
) -> Built {
    let mut english = schema::english();
    let mut names = schema::names();
    let text_fields: Vec<(Field, f32)> = if q.title_only {
        vec![(fields.title, 1.0)]
    } else {
        vec![
            (fields.title, ranking.title_weight),
            (fields.body, 1.0),
            (fields.tags_text, ranking.tags_weight),
        ]
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let spaces = ReadableSpaces::new(fields.space_id, readable_spaces);
    clauses.push((Occur::Must, Box::new(spaces)));
    for f in &q.filters {
        clauses.push((Occur::Must, filter_query(f, fields, &mut names)));
    }
    for f in &q.excluded_filters {
        clauses.push((Occur::MustNot, filter_query(f, fields, &mut names)));
    }
    for unit in &q.excluded {
        if let Some(u) = unit_query(
            unit,
            &text_fields,
            &Ranking {
                dismax: false,
                ..ranking.clone()
            },
            &mut english,
        ) {
            clauses.push((Occur::MustNot, u));
        }
    }
    let groups: Vec<Box<dyn Query>> = q
        .groups
        .iter()
        .filter_map(|alternatives| {
            let parts: Vec<Box<dyn Query>> = alternatives
                .iter()
                .filter_map(|u| unit_query(u, &text_fields, ranking, &mut english))
                .collect();
            match parts.len() {
                0 => None,
                1 => parts.into_iter().next(),
                _ => Some(Box::new(BooleanQuery::new(
                    parts.into_iter().map(|p| (Occur::Should, p)).collect(),
                )) as Box<dyn Query>),
            }
        })
        .collect();
    let text: Option<Box<dyn Query>> = match groups.len() {
        0 if q.has_text() => Some(Box::new(EmptyQuery)),
        0 => None,
        1 => groups.into_iter().next(),
        _ if ranking.all_terms_bonus > 0.0 => Some(Box::new(AllGroupsBonus::new(
            groups,
            ranking.all_terms_bonus,
        ))),
        _ => Some(Box::new(BooleanQuery::new(
            groups.into_iter().map(|g| (Occur::Should, g)).collect(),
        ))),
    };
    match &text {
        Some(t) => clauses.push((Occur::Must, t.box_clone())),
        None => clauses.push((Occur::Must, Box::new(AllQuery))),
    }
    Built {
        query: Box::new(BooleanQuery::new(clauses)),
        text,
    }
}
