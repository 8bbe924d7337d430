//! Endorsed best practice: a thread or a document that a moderator endorsed, with an owner who
//! keeps it current, a review date, and a status: current, under review, or superseded by a
//! newer thread or document. One row per endorsed item (`endorsements`); a thread's
//! `best_practice` flag mirrors whether it has one, for the lists that already read it.
pub mod store;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Current,
    UnderReview,
    Superseded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::UnderReview => "under_review",
            Status::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Current => "Current",
            Status::UnderReview => "Under review",
            Status::Superseded => "Superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "current" => Some(Status::Current),
            "under_review" => Some(Status::UnderReview),
            "superseded" => Some(Status::Superseded),
            _ => None,
        }
    }
}

/// What is endorsed (or what supersedes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    Thread(i32),
    Document(i32),
}

impl Item {
    /// The page of the item.
    pub fn path(self) -> String {
        match self {
            Item::Thread(id) => format!("/threads/{id}"),
            Item::Document(id) => format!("/documents/{id}"),
        }
    }

    /// Reads `/threads/12`, `/documents/3`, a full link to either, or `thread:12` /
    /// `document:3`.
    pub fn parse(s: &str) -> Option<Item> {
        let s = s.trim();
        let path = match s.find("/threads/").or_else(|| s.find("/documents/")) {
            Some(at) => &s[at..],
            None => s,
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let (kind, id) = path
            .strip_prefix("/threads/")
            .map(|id| ("thread", id))
            .or_else(|| path.strip_prefix("/documents/").map(|id| ("document", id)))
            .or_else(|| path.strip_prefix("thread:").map(|id| ("thread", id)))
            .or_else(|| path.strip_prefix("document:").map(|id| ("document", id)))?;
        let id: i32 = id.trim_end_matches('/').parse().ok().filter(|n| *n > 0)?;
        Some(if kind == "thread" {
            Item::Thread(id)
        } else {
            Item::Document(id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse_from_links_and_paths() {
        assert_eq!(Item::parse("/threads/12"), Some(Item::Thread(12)));
        assert_eq!(
            Item::parse("https://roundtable.example/documents/3?version=2"),
            Some(Item::Document(3))
        );
        assert_eq!(Item::parse("thread:7"), Some(Item::Thread(7)));
        assert_eq!(Item::parse("/threads/0"), None);
        assert_eq!(Item::parse("/threads/x"), None);
        assert_eq!(Item::parse("12"), None);
        assert_eq!(Status::parse("Under review"), Some(Status::UnderReview));
        assert_eq!(Status::parse("gone"), None);
    }
}
