//! `roundtable eval beir`: measures ranking quality on a BEIR-format set through the same
//! analysis, schema, query parsing and ranking as production. Each corpus document becomes a
//! thread (title = thread title, text = its opening post, tags = tags); each query's `text` is
//! run as a person would type it, with query syntax escaped.
use anyhow::{bail, Context};
use search_index::{query::escape, Ranking, SearchDocument, SearchIndex};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

#[derive(Deserialize)]
struct CorpusDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub queries: usize,
    pub ndcg: f64,
    pub recall_100: f64,
}

fn read_lines(path: &Path) -> anyhow::Result<impl Iterator<Item = (usize, String)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty()))
}

/// Relevant documents per query, from a TREC-style TSV with a header line.
fn load_qrels(path: &Path) -> anyhow::Result<HashMap<String, HashSet<String>>> {
    let mut qrels: HashMap<String, HashSet<String>> = HashMap::new();
    for (n, line) in read_lines(path)? {
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols.first().is_some_and(|c| c.contains("query")) {
            continue;
        }
        let [q, d, score] = cols[..] else {
            bail!(
                "{}:{}: expected query-id, corpus-id, score",
                path.display(),
                n + 1
            );
        };
        let score: f64 = score
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: score", path.display(), n + 1))?;
        if score > 0.0 {
            qrels
                .entry(q.to_string())
                .or_default()
                .insert(d.trim().to_string());
        }
    }
    Ok(qrels)
}

/// nDCG@k with binary gain, as trec_eval's ndcg_cut computes it.
pub fn ndcg_at(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, d)| relevant.contains(*d))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(k))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

pub fn recall_at(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    ranked
        .iter()
        .take(k)
        .filter(|d| relevant.contains(*d))
        .count() as f64
        / relevant.len() as f64
}

pub fn run(
    corpus: &Path,
    queries: &Path,
    qrels: &Path,
    k: usize,
    ranking: Ranking,
) -> anyhow::Result<Scores> {
    let index = SearchIndex::in_memory()?.with_ranking(ranking);
    let mut ids: Vec<String> = Vec::new();
    let mut batch = Vec::with_capacity(1000);
    for (n, line) in read_lines(corpus)? {
        let doc: CorpusDoc = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}", corpus.display(), n + 1))?;
        let number = i32::try_from(ids.len() + 1)?;
        batch.push(SearchDocument {
            post_id: number,
            thread_id: number,
            space_id: 1,
            space_slug: "eval".into(),
            thread_title: doc.title,
            body_text: doc.text,
            tags: doc.metadata.unwrap_or_default().tags,
            marking: "OFFICIAL".into(),
            ..SearchDocument::default()
        });
        ids.push(doc.id);
        if batch.len() == 1000 {
            index.add_new(&batch)?;
            batch.clear();
        }
    }
    index.add_new(&batch)?;
    index.commit(0)?;

    let qrels = load_qrels(qrels)?;
    let (mut n, mut ndcg, mut recall) = (0usize, 0.0, 0.0);
    for (line_no, line) in read_lines(queries)? {
        let q: QueryLine = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}", queries.display(), line_no + 1))?;
        let Some(relevant) = qrels.get(&q.id) else {
            continue;
        };
        let ranked: Vec<String> = index
            .ranked_threads(&escape(&q.text), &[1], k.max(100) + 1)?
            .into_iter()
            .map(|t| ids[(t - 1) as usize].clone())
            // As BEIR does: a query never counts its own question as a hit.
            .filter(|d| *d != q.id)
            .collect();
        ndcg += ndcg_at(&ranked, relevant, k);
        recall += recall_at(&ranked, relevant, 100);
        n += 1;
    }
    if n == 0 {
        bail!(
            "no query in {} has relevance judgements in the qrels file",
            queries.display()
        );
    }
    Ok(Scores {
        queries: n,
        ndcg: ndcg / n as f64,
        recall_100: recall / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computation() {
        let rel: HashSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let ranked: Vec<String> = ["x", "a", "y", "b"].iter().map(|s| s.to_string()).collect();
        let expected = (1.0 / 3f64.log2() + 1.0 / 5f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((ndcg_at(&ranked, &rel, 10) - expected).abs() < 1e-12);
        assert_eq!(recall_at(&ranked, &rel, 100), 1.0);
        assert_eq!(recall_at(&ranked, &rel, 2), 0.5);
    }
}
