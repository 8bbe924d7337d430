//! What templates show of a thread or space listing: plain strings, dates already written
//! out, names already chosen, so templates hold no logic beyond loops and conditions.
use super::render::{iso, when};
use crate::forum::people::AuthorView;
use crate::forum::threads::ThreadSummary;

pub struct ThreadRow {
    pub id: i32,
    pub title: String,
    pub space: String,
    pub marking: String,
    pub sensitive: bool,
    pub tags: Vec<String>,
    pub pinned: bool,
    pub locked: bool,
    pub best_practice: bool,
    pub replies: i32,
    pub author: String,
    pub organisation: String,
    pub last_activity: String,
    pub last_activity_iso: String,
    /// Active since the viewer last read it.
    pub unread: bool,
    /// The organisations taking part, where the page shows them.
    pub organisations: String,
}

impl From<ThreadSummary> for ThreadRow {
    fn from(t: ThreadSummary) -> Self {
        let (author, organisation) = match t.author {
            Some(a) => (a.display_name, a.organisation),
            None => (String::new(), String::new()),
        };
        ThreadRow {
            sensitive: t.marking != "OFFICIAL",
            id: t.id,
            title: t.title,
            space: t.space,
            marking: t.marking,
            tags: t.tags,
            pinned: t.pinned,
            locked: t.locked,
            best_practice: t.best_practice,
            replies: (t.post_count - 1).max(0),
            author,
            organisation,
            last_activity: when(t.last_activity_at),
            last_activity_iso: iso(t.last_activity_at),
            unread: false,
            organisations: String::new(),
        }
    }
}

pub fn rows(threads: Vec<ThreadSummary>) -> Vec<ThreadRow> {
    threads.into_iter().map(ThreadRow::from).collect()
}

/// Rows, marking those in `unread`.
pub fn rows_marked(
    threads: Vec<ThreadSummary>,
    unread: &std::collections::HashSet<i32>,
) -> Vec<ThreadRow> {
    threads
        .into_iter()
        .map(|t| ThreadRow {
            unread: unread.contains(&t.id),
            ..ThreadRow::from(t)
        })
        .collect()
}

/// How a role is written for people.
pub fn role_name(role: &str) -> &'static str {
    match role {
        "chief_officer" => "Chief officer",
        "pcc" => "Police and Crime Commissioner",
        "staff" => "Staff",
        "supplier" => "Supplier",
        "admin" => "Administrator",
        _ => "Member",
    }
}

/// "Jo Bloggs, Director of IT, Kent Police (Staff)" in parts.
pub struct Byline {
    pub name: String,
    pub job_title: String,
    pub organisation: String,
    pub role: &'static str,
}

impl From<&AuthorView> for Byline {
    fn from(a: &AuthorView) -> Self {
        Byline {
            name: a.display_name.clone(),
            job_title: a.job_title.clone(),
            organisation: a.organisation.clone(),
            role: role_name(&a.role),
        }
    }
}

/// The hint beside a new password field.
pub fn password_hint() -> String {
    format!(
        "At least {} characters. A few unrelated words make a good one.",
        crate::auth::password::MIN_PASSWORD_CHARS
    )
}

/// The banner of a page that lists threads: the highest marking among what it shows, as
/// (marking, whether it is OFFICIAL-SENSITIVE).
pub fn page_marking<'a>(sensitive: impl IntoIterator<Item = &'a bool>) -> (String, bool) {
    if sensitive.into_iter().any(|s| *s) {
        ("OFFICIAL-SENSITIVE".into(), true)
    } else {
        ("OFFICIAL".into(), false)
    }
}
