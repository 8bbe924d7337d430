//! The clause every search carries: the document is in a space the viewer may read. In a
//! segment where every document is in such a space (every space it holds is readable, and
//! every document has exactly one space) the clause matches everything, and the search is
//! spared the set of documents and the intersection with it.
use std::sync::OnceLock;
use tantivy::columnar::Cardinality;
use tantivy::query::{AllScorer, EnableScoring, Explanation, Query, Scorer, TermSetQuery, Weight};
use tantivy::schema::Field;
use tantivy::{DocId, Score, SegmentReader, Term};

#[derive(Debug, Clone)]
pub struct ReadableSpaces {
    field: Field,
    /// The readable spaces' terms as the dictionary stores them, sorted.
    keys: Vec<Vec<u8>>,
    terms: TermSetQuery,
}

impl ReadableSpaces {
    /// `field`: an indexed, fast u64 field holding each document's space.
    pub fn new(field: Field, spaces: &[i32]) -> Self {
        let terms: Vec<Term> = spaces
            .iter()
            .map(|&id| Term::from_field_u64(field, id as u64))
            .collect();
        let mut keys: Vec<Vec<u8>> = terms
            .iter()
            .map(|t| t.serialized_value_bytes().to_vec())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        ReadableSpaces {
            field,
            keys,
            terms: TermSetQuery::new(terms),
        }
    }
}

impl Query for ReadableSpaces {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ReadableWeight {
            field: self.field,
            keys: self.keys.clone(),
            terms: self.terms.clone(),
            terms_weight: OnceLock::new(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.terms.query_terms(visitor);
    }
}

struct ReadableWeight {
    field: Field,
    keys: Vec<Vec<u8>>,
    terms: TermSetQuery,
    /// The set of terms' weight, built only for a segment the spaces do not cover: building it
    /// makes a dictionary automaton (over a megabyte of tables), a large part of a search
    /// that no segment needs when the viewer reads every space.
    terms_weight: OnceLock<Box<dyn Weight>>,
}

impl ReadableWeight {
    /// The weight that picks out the readable spaces' documents (scores do not depend on it:
    /// every match scores the boost it is given).
    fn terms_weight(&self, reader: &SegmentReader) -> tantivy::Result<&dyn Weight> {
        if let Some(built) = self.terms_weight.get() {
            return Ok(built.as_ref());
        }
        let built = self
            .terms
            .weight(EnableScoring::disabled_from_schema(reader.schema()))?;
        Ok(self.terms_weight.get_or_init(move || built).as_ref())
    }

    /// Whether every document of the segment (deleted ones included) is in a readable space.
    fn covers(&self, reader: &SegmentReader) -> tantivy::Result<bool> {
        let name = reader.schema().get_field_name(self.field);
        let one_each = reader
            .fast_fields()
            .u64(name)
            .is_ok_and(|c| c.get_cardinality() == Cardinality::Full);
        if !one_each {
            return Ok(false);
        }
        let index = reader.inverted_index(self.field)?;
        let mut held = index.terms().stream()?;
        while held.advance() {
            if self
                .keys
                .binary_search_by(|k| k.as_slice().cmp(held.key()))
                .is_err()
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Weight for ReadableWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.covers(reader)? {
            return Ok(Box::new(AllScorer::new(reader.max_doc())));
        }
        self.terms_weight(reader)?.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.terms_weight(reader)?.explain(reader, doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::DocSetCollector;
    use tantivy::schema::{Schema, FAST, INDEXED, STORED};
    use tantivy::{doc, Index, IndexWriter, TantivyDocument};

    fn found(index: &Index, field: Field, id: Field, spaces: &[i32]) -> Vec<u64> {
        let searcher = index.reader().unwrap().searcher();
        let mut ids: Vec<u64> = searcher
            .search(&ReadableSpaces::new(field, spaces), &DocSetCollector)
            .unwrap()
            .into_iter()
            .map(|address| {
                let d: TantivyDocument = searcher.doc(address).unwrap();
                tantivy::schema::Value::as_u64(&d.get_first(id).unwrap()).unwrap()
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn only_documents_in_readable_spaces_match_whether_or_not_a_segment_is_covered() {
        let mut schema = Schema::builder();
        let space = schema.add_u64_field("space_id", INDEXED | FAST);
        let id = schema.add_u64_field("id", STORED);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // One segment holds spaces 1 and 2, the next only space 1, the last a document with
        // no space at all.
        writer
            .add_document(doc!(space => 1u64, id => 1u64))
            .unwrap();
        writer
            .add_document(doc!(space => 2u64, id => 2u64))
            .unwrap();
        writer.commit().unwrap();
        writer
            .add_document(doc!(space => 1u64, id => 3u64))
            .unwrap();
        writer.commit().unwrap();
        writer.add_document(doc!(id => 4u64)).unwrap();
        writer.commit().unwrap();
        assert_eq!(found(&index, space, id, &[1]), vec![1, 3]);
        assert_eq!(found(&index, space, id, &[2]), vec![2]);
        assert_eq!(found(&index, space, id, &[1, 2]), vec![1, 2, 3]);
        assert_eq!(found(&index, space, id, &[3]), Vec::<u64>::new());
        assert_eq!(found(&index, space, id, &[]), Vec::<u64>::new());
        let weight_for = |spaces: &[i32]| {
            let query = ReadableSpaces::new(space, spaces);
            ReadableWeight {
                field: space,
                keys: query.keys,
                terms: query.terms,
                terms_weight: OnceLock::new(),
            }
        };
        let covered = |spaces: &[i32]| {
            let weight = weight_for(spaces);
            let searcher = index.reader().unwrap().searcher();
            searcher
                .segment_readers()
                .iter()
                .filter(|r| weight.covers(r).unwrap())
                .count()
        };
        assert_eq!(covered(&[1]), 1, "the segment of space 1 alone");
        assert_eq!(
            covered(&[1, 2]),
            2,
            "not the one with a document without a space"
        );
        assert_eq!(covered(&[2]), 0);
        // The set of terms is built only for a segment that needs it.
        let weight = weight_for(&[1, 2]);
        let searcher = index.reader().unwrap().searcher();
        let (covered, uncovered): (Vec<_>, Vec<_>) = searcher
            .segment_readers()
            .iter()
            .partition(|r| weight.covers(r).unwrap());
        for reader in covered {
            weight.scorer(reader, 1.0).unwrap();
        }
        assert!(weight.terms_weight.get().is_none());
        weight.scorer(uncovered[0], 1.0).unwrap();
        assert!(weight.terms_weight.get().is_some());
    }
}
