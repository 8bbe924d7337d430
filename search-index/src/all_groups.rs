//! Word groups scored as the sum of the groups a document matches, times (1 + bonus) when it
//! matches every group. The same scores as `g₁ OR … OR gₙ OR (g₁ AND … AND gₙ)^bonus`, from
//! one pass over the groups' postings, where the `AND` clause would open and walk every
//! group's postings a second time.
use tantivy::query::{BooleanWeight, EnableScoring, Occur, Query, ScoreCombiner, Scorer, Weight};
use tantivy::{Score, Term};

#[derive(Debug)]
pub struct AllGroupsBonus {
    groups: Vec<Box<dyn Query>>,
    bonus: f32,
}

impl AllGroupsBonus {
    pub fn new(groups: Vec<Box<dyn Query>>, bonus: f32) -> Self {
        AllGroupsBonus { groups, bonus }
    }
}

impl Clone for AllGroupsBonus {
    fn clone(&self) -> Self {
        AllGroupsBonus {
            groups: self.groups.iter().map(|g| g.box_clone()).collect(),
            bonus: self.bonus,
        }
    }
}

impl Query for AllGroupsBonus {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .groups
            .iter()
            .map(|g| Ok((Occur::Should, g.weight(enable_scoring)?)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let groups = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        let bonus = self.bonus;
        Ok(Box::new(BooleanWeight::with_minimum_number_should_match(
            weights,
            1,
            enable_scoring.is_scoring_enabled(),
            Box::new(move || AllGroupsCombiner {
                groups,
                bonus,
                sum: 0.0,
                matched: 0,
            }),
        )))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for g in &self.groups {
            g.query_terms(visitor);
        }
    }
}

/// Sums the matching groups' scores and counts them: the union calls `update` once for each
/// group that matches the document.
#[derive(Debug, Clone, Copy, Default)]
struct AllGroupsCombiner {
    groups: u32,
    bonus: f32,
    sum: Score,
    matched: u32,
}

impl ScoreCombiner for AllGroupsCombiner {
    fn update<S: Scorer>(&mut self, scorer: &mut S) {
        self.sum += scorer.score();
        self.matched += 1;
    }

    fn clear(&mut self) {
        self.sum = 0.0;
        self.matched = 0;
    }

    fn score(&self) -> Score {
        if self.matched >= self.groups {
            self.sum * (1.0 + self.bonus)
        } else {
            self.sum
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, Index};

    /// The combined query ranks and scores every document as the `OR … OR (AND)^bonus` form.
    #[test]
    fn scores_as_the_or_of_the_groups_plus_their_boosted_and() {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for body in [
            "custody contract renewal",
            "custody suite",
            "contract for drones",
            "renewal renewal custody contract contract",
            "nothing here",
            "drones custody",
        ] {
            writer.add_document(doc!(text => body)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let word = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        let groups = || vec![word("custody"), word("contract"), word("renewal")];
        let mut plain: Vec<(Occur, Box<dyn Query>)> =
            groups().into_iter().map(|g| (Occur::Should, g)).collect();
        let all = BooleanQuery::new(groups().into_iter().map(|g| (Occur::Must, g)).collect());
        plain.push((Occur::Should, Box::new(BoostQuery::new(Box::new(all), 0.5))));
        let expected = searcher
            .search(
                &BooleanQuery::new(plain),
                &TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        let got = searcher
            .search(
                &AllGroupsBonus::new(groups(), 0.5),
                &TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        assert_eq!(got.len(), expected.len());
        for ((gs, gd), (es, ed)) in got.iter().zip(&expected) {
            assert_eq!(gd, ed);
            assert!((gs - es).abs() < 1e-5, "{gs} vs {es}");
        }
    }
}
