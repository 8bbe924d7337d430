//! What templates show of a thread or space listing: plain strings, dates already written
//! out, names already chosen, so templates hold no logic beyond loops and conditions.
use super::render::{iso, when};
use crate::cache::lists::RenderedRow;
use crate::forum::people::AuthorView;
use crate::forum::threads::ThreadSummary;
use std::collections::HashSet;

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

impl From<&ThreadSummary> for ThreadRow {
    fn from(t: &ThreadSummary) -> Self {
        let (author, organisation) = match &t.author {
            Some(a) => (a.display_name.clone(), a.organisation.clone()),
            None => (String::new(), String::new()),
        };
        ThreadRow {
            sensitive: t.marking != "OFFICIAL",
            id: t.id,
            title: t.title.clone(),
            space: t.space.clone(),
            marking: t.marking.clone(),
            tags: t.tags.clone(),
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

#[derive(askama::Template)]
#[template(path = "pages/_thread_item.html")]
struct ThreadItem<'a> {
    t: &'a ThreadRow,
}

/// Each thread's row rendered for a reader who has read it and for one who has not, with the
/// organisations taking part where the page shows them.
pub fn render_rows(
    threads: &[ThreadSummary],
    organisations: Option<&std::collections::HashMap<i32, Vec<String>>>,
) -> Result<Vec<RenderedRow>, askama::Error> {
    use askama::Template;
    threads
        .iter()
        .map(|summary| {
            let mut t = ThreadRow::from(summary);
            if let Some(names) = organisations.and_then(|o| o.get(&t.id)) {
                t.organisations = names.join(", ");
            }
            let read = ThreadItem { t: &t }.render()?;
            t.unread = true;
            let unread = ThreadItem { t: &t }.render()?;
            Ok(RenderedRow {
                id: t.id,
                sensitive: t.sensitive,
                read,
                unread,
            })
        })
        .collect()
}

/// The rows kept in `slot`, rendered now if they are not yet.
pub fn kept_rows<T>(
    slot: &std::sync::OnceLock<T>,
    render: impl FnOnce() -> Result<T, askama::Error>,
) -> Result<&T, askama::Error> {
    if let Some(kept) = slot.get() {
        return Ok(kept);
    }
    let made = render()?;
    Ok(slot.get_or_init(move || made))
}

/// The rows as `unread` marks them for one viewer.
pub fn shown<'a>(rows: &'a [RenderedRow], unread: &HashSet<i32>) -> Vec<&'a str> {
    rows.iter().map(|r| r.for_viewer(unread)).collect()
}

pub fn rows(threads: &[ThreadSummary]) -> Vec<ThreadRow> {
    threads.iter().map(ThreadRow::from).collect()
}

/// How a role is written for people.
pub fn role_name(role: &str) -> &'static str {
    match role {
        "chief_officer" => "Chief officer",
        "pcc" => "Police and Crime Commissioner",
        "staff" => "Staff",
        "supplier" => "Supplier",
        "admin" => "Administrator",
        crate::forum::people::FORMER_MEMBER_ROLE => "",
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
