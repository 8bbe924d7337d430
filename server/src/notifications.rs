//! Immediate notifications: a reply to someone's post or thread, or in a thread they watch.
//! Queued in the reply's own transaction (one job per reply and recipient), sent by the same
//! scheduler as digests, a few minutes later so that replies close together share a message.
//! The marking rule is the digest's: no sensitive text unless the domain is accredited, and
//! then titles only.
use crate::db::entities::{post, thread, thread_watch, user};
use crate::delivery::jobs::{self, NewJob, NOTIFICATION};
use crate::digest::preferences;
use crate::digest::render::{Links, Rendered};
use crate::domain::Marking;
use crate::permissions::may_see_sensitive_titles_by_email;
use crate::permissions::{self, Subject};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Queues notifications for `reply`, written by its author under `parent_author`'s post.
pub async fn enqueue_for_reply(
    db: &impl ConnectionTrait,
    t: &thread::Model,
    reply: &post::Model,
    parent_author: i32,
    now: DateTime<Utc>,
    batch_seconds: u64,
) -> Result<u64, sea_orm::DbErr> {
    let watches = thread_watch::Entity::find()
        .filter(thread_watch::Column::ThreadId.eq(t.id))
        .all(db)
        .await?;
    let muted: HashSet<i32> = watches
        .iter()
        .filter(|w| w.state == "mute")
        .map(|w| w.user_id)
        .collect();
    let direct: BTreeSet<i32> = [parent_author, t.author_id].into_iter().collect();
    let watching: BTreeSet<i32> = watches
        .iter()
        .filter(|w| w.state == "watch")
        .map(|w| w.user_id)
        .collect();
    let candidates: Vec<i32> = direct
        .union(&watching)
        .copied()
        .filter(|u| *u != reply.author_id && !muted.contains(u))
        .collect();
    if candidates.is_empty() {
        return Ok(0);
    }
    let prefs = preferences::load_many(db, &candidates).await?;
    let due = now + Duration::seconds(batch_seconds.min(86_400) as i64);
    let new_jobs: Vec<NewJob> = candidates
        .into_iter()
        .filter(|u| {
            prefs.get(u).is_some_and(|p| {
                (direct.contains(u) && p.notify_replies)
                    || (watching.contains(u) && p.notify_watched)
            })
        })
        .map(|u| NewJob {
            key: jobs::notification_key(reply.id, u),
            kind: NOTIFICATION,
            user_id: u,
            week: None,
            post_id: Some(reply.id),
            due_at: due,
        })
        .collect();
    jobs::enqueue(db, new_jobs, now).await
}

/// One reply as the recipient may see it.
#[derive(Debug, Clone)]
pub struct NoticeItem {
    pub thread_id: i32,
    /// Empty when the thread is OFFICIAL-SENSITIVE and the recipient's domain not accredited.
    pub title: String,
    /// Empty for OFFICIAL-SENSITIVE threads.
    pub author: String,
    pub excerpt: String,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub items: Vec<NoticeItem>,
    pub marking: Marking,
}

/// What the recipient may be told about these replies now; `None` when nothing is left
/// (deleted, or in spaces they can no longer read).
pub async fn build(
    db: &impl ConnectionTrait,
    account: &user::Model,
    post_ids: &[i32],
    sensitive_title_domains: &[String],
) -> Result<Option<Notice>, crate::digest::BuildError> {
    let subject = Subject::of_account(account)?;
    let readable: HashSet<i32> = permissions::readable_spaces(db, &subject)
        .await?
        .into_iter()
        .filter(|r| !r.as_admin)
        .map(|r| r.space.id)
        .collect();
    let posts = post::Entity::find()
        .filter(post::Column::Id.is_in(post_ids.to_vec()))
        .filter(post::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let thread_ids: Vec<i32> = posts.iter().map(|p| p.thread_id).collect();
    let threads: HashMap<i32, thread::Model> = thread::Entity::find()
        .filter(thread::Column::Id.is_in(thread_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let author_ids: Vec<i32> = posts.iter().map(|p| p.author_id).collect();
    let authors: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(author_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let titles_allowed = may_see_sensitive_titles_by_email(&account.email, sensitive_title_domains);
    let mut marking = Marking::Official;
    let mut items = Vec::new();
    for p in posts {
        let Some(t) = threads.get(&p.thread_id) else {
            continue;
        };
        if !readable.contains(&t.space_id) {
            continue;
        }
        let sensitive = t.marking == Marking::OfficialSensitive.as_str();
        if sensitive && titles_allowed {
            marking = Marking::OfficialSensitive;
        }
        let text = p
            .body_text
            .unwrap_or_else(|| crate::markdown::plain_text(&p.body_markdown));
        items.push(NoticeItem {
            thread_id: t.id,
            title: if sensitive && !titles_allowed {
                String::new()
            } else {
                t.title.clone()
            },
            author: if sensitive {
                String::new()
            } else {
                authors.get(&p.author_id).cloned().unwrap_or_default()
            },
            excerpt: if sensitive {
                String::new()
            } else {
                crate::digest::content::excerpt(&text)
            },
        });
    }
    Ok((!items.is_empty()).then_some(Notice { items, marking }))
}

#[derive(Template)]
#[template(path = "mail/notification.txt", whitespace = "preserve")]
struct TextPart<'a> {
    n: &'a Notice,
    links: &'a Links,
    marking: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notification.html", whitespace = "preserve")]
struct HtmlPart<'a> {
    n: &'a Notice,
    links: &'a Links,
    marking: &'a str,
    subject: &'a str,
}

pub fn subject(n: &Notice) -> String {
    let what = match n.items.as_slice() {
        [one] if !one.title.is_empty() => format!("New reply in “{}”", one.title),
        [_] => "A new reply on Roundtable".to_string(),
        many => format!("{} new replies on Roundtable", many.len()),
    };
    format!("{}: {what}", n.marking)
}

pub fn render(n: &Notice, links: &Links) -> Result<Rendered, askama::Error> {
    let subject = subject(n);
    let marking = n.marking.as_str();
    Ok(Rendered {
        text: TextPart { n, links, marking }.render()?,
        html: HtmlPart {
            n,
            links,
            marking,
            subject: &subject,
        }
        .render()?,
        subject,
    })
}
