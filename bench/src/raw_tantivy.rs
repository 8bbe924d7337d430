//! Plain tantivy on our index, the baseline the search benchmarks compare against.
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::{Index, IndexReader};

/// Plain tantivy on our index: the query parser over the text fields and the facets as terms
/// aggregations.
pub struct Raw {
    index: Index,
    reader: IndexReader,
    parser: QueryParser,
    aggs: Aggregations,
}

impl Raw {
    pub fn open(dir: &std::path::Path) -> anyhow::Result<Self> {
        let index = Index::open_in_dir(dir)?;
        search_index::schema::register_tokenizers(&index);
        let schema = index.schema();
        let fields = ["title", "body"]
            .iter()
            .map(|f| schema.get_field(f))
            .collect::<Result<Vec<_>, _>>()?;
        let parser = QueryParser::for_index(&index, fields);
        let aggs: Aggregations = serde_json::from_value(serde_json::json!({
            "space": {"terms": {"field": "space_slug", "size": 20}},
            "tag": {"terms": {"field": "tag_facet", "size": 20}},
            "force": {"terms": {"field": "org", "size": 20}},
            "type": {"terms": {"field": "kind", "size": 20}},
            "year": {"terms": {"field": "year", "size": 20}},
        }))?;
        let reader = index.reader()?;
        Ok(Raw {
            index,
            reader,
            parser,
            aggs,
        })
    }

    /// Top 20 and the facet counts; returns the number of hits kept.
    pub fn search(&self, text: &str) -> anyhow::Result<usize> {
        let (query, _) = self.parser.parse_query_lenient(text);
        let searcher = self.reader.searcher();
        let facets = AggregationCollector::from_aggs(
            self.aggs.clone(),
            AggContextParams::new(
                AggregationLimitsGuard::default(),
                self.index.tokenizers().clone(),
            ),
        );
        let (top, counts) =
            searcher.search(&query, &(TopDocs::with_limit(20).order_by_score(), facets))?;
        std::hint::black_box(counts);
        Ok(top.len())
    }
}
