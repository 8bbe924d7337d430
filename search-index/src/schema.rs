//! The index's fields and text analysis. Bump `SCHEMA_VERSION` on any change: an index written
//! with another version is rebuilt.
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::Index;

pub const SCHEMA_VERSION: u32 = 4;

/// Group keys at or above this are documents (`GROUP_DOCUMENT + document id`); below it,
/// thread ids.
pub const GROUP_DOCUMENT: u64 = 1 << 40;

/// English: words, lower-cased, accents folded, stop words dropped, Porter-style stemming.
pub const ENGLISH: &str = "rt_english";
/// Names: words, lower-cased, accents folded; no stemming or stop words.
pub const NAMES: &str = "rt_names";

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub post_id: Field,
    pub thread_id: Field,
    /// A shared document's id (documents have no post or thread id).
    pub document_id: Field,
    /// What a hit is grouped by: the thread, or the document.
    pub group: Field,
    /// `discussion` or `document`.
    pub kind: Field,
    /// A document's file type (`pdf`, `docx`, …); empty for posts.
    pub file_type: Field,
    pub space_id: Field,
    pub space_slug: Field,
    pub title: Field,
    pub body: Field,
    pub tags_text: Field,
    pub tag: Field,
    pub tag_facet: Field,
    pub author_email: Field,
    pub author_name: Field,
    pub org: Field,
    pub org_name: Field,
    pub marking: Field,
    /// 0: not endorsed; 1: endorsed best practice (current or under review); 2: superseded.
    pub best_practice: Field,
    /// A case study's service area (its slug); empty otherwise.
    pub area: Field,
    pub supplier: Field,
    /// A case study's saving, percent.
    pub saving: Field,
    /// A case study's contract value, pounds.
    pub value: Field,
    pub created_at: Field,
    pub year: Field,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = NumericOptions::default()
        .set_indexed()
        .set_fast()
        .set_stored();
    let fields = Fields {
        post_id: b.add_u64_field("post_id", id.clone()),
        thread_id: b.add_u64_field("thread_id", id.clone()),
        document_id: b.add_u64_field("document_id", id),
        group: b.add_u64_field("group", FAST),
        kind: b.add_text_field("kind", STRING | FAST),
        file_type: b.add_text_field("file_type", STRING | STORED),
        space_id: b.add_u64_field("space_id", INDEXED | FAST),
        space_slug: b.add_text_field("space_slug", STRING | STORED | FAST),
        title: b.add_text_field("title", text(ENGLISH, true)),
        body: b.add_text_field("body", text(ENGLISH, true)),
        tags_text: b.add_text_field("tags_text", text(ENGLISH, false)),
        tag: b.add_text_field("tag", STRING),
        tag_facet: b.add_text_field("tag_facet", STRING | FAST),
        author_email: b.add_text_field("author_email", STRING),
        author_name: b.add_text_field("author_name", text(NAMES, false)),
        org: b.add_text_field("org", STRING | FAST),
        org_name: b.add_text_field("org_name", text(NAMES, false)),
        marking: b.add_text_field("marking", STRING),
        best_practice: b.add_u64_field("best_practice", INDEXED | FAST),
        area: b.add_text_field("area", STRING),
        supplier: b.add_text_field("supplier", text(NAMES, false)),
        saving: b.add_f64_field("saving", INDEXED | FAST),
        value: b.add_i64_field("value", INDEXED | FAST),
        created_at: b.add_i64_field("created_at", INDEXED | FAST | STORED),
        year: b.add_u64_field("year", FAST),
    };
    (b.build(), fields)
}

/// The English analyzer, built once: its stop words are a hash set that every search would
/// otherwise build again (a clone shares it).
static ENGLISH_ANALYZER: std::sync::LazyLock<TextAnalyzer> = std::sync::LazyLock::new(|| {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
        .filter(Stemmer::new(Language::English))
        .build()
});

pub fn english() -> TextAnalyzer {
    ENGLISH_ANALYZER.clone()
}

pub fn names() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ENGLISH, english());
    index.tokenizers().register(NAMES, names());
}

/// The tokens `analyzer` makes of `text`, with their positions.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_stems_and_drops_stop_words() {
        let words: Vec<String> = tokens(&mut english(), "The Benchmarking clauses of Contracts")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(words, vec!["benchmark", "claus", "contract"]);
    }
}
