//! `roundtable import stackexchange`: a StackExchange dump's questions become threads and its
//! answers replies, with their dates and tags, the HTML kept (sanitised when rendered), and a
//! source link with the CC BY-SA attribution on each. Items already imported are skipped, so a
//! re-run adds only what is new.
use crate::db::entities::{import_source, post, thread};
use crate::domain::{Marking, TagList};
use crate::forum::input::{RenderedBody, Title};
use crate::forum::{posts, threads};
use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::Event;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One `<row>` of Posts.xml that we use.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub id: String,
    pub post_type: String,
    pub parent_id: Option<String>,
    pub created: DateTime<Utc>,
    pub title: String,
    pub body_html: String,
    pub tags: Vec<String>,
    pub owner: String,
}

fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|d| d.and_utc())
}

/// `<a><b>` (older dumps) or `|a|b|` (newer ones).
fn parse_tags(raw: &str) -> Vec<String> {
    raw.split(['<', '>', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Row>> {
    let mut reader = quick_xml::Reader::from_file(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    let mut rows = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).with_context(|| {
            format!(
                "{}: not well-formed XML at byte {}",
                path.display(),
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"row" => {
                let mut row = Row::default();
                for attr in e.attributes() {
                    let attr =
                        attr.with_context(|| format!("{}: bad attribute", path.display()))?;
                    let value = attr
                        .unescape_value()
                        .with_context(|| format!("{}: bad attribute value", path.display()))?
                        .to_string();
                    match attr.key.as_ref() {
                        b"Id" => row.id = value,
                        b"PostTypeId" => row.post_type = value,
                        b"ParentId" => row.parent_id = Some(value),
                        b"CreationDate" => row.created = parse_date(&value).unwrap_or_default(),
                        b"Title" => row.title = value,
                        b"Body" => row.body_html = value,
                        b"Tags" => row.tags = parse_tags(&value),
                        b"OwnerDisplayName" if row.owner.is_empty() => row.owner = value,
                        b"OwnerUserId" if row.owner.is_empty() => {
                            row.owner = format!("user {value}")
                        }
                        _ => {}
                    }
                }
                if !row.id.is_empty() {
                    rows.push(row);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if rows.is_empty() {
        anyhow::bail!(
            "{} has no <row> elements: is it a StackExchange Posts.xml?",
            path.display()
        );
    }
    Ok(rows)
}

pub struct Summary {
    pub threads: usize,
    pub replies: usize,
    pub skipped_existing: usize,
    pub skipped_invalid: usize,
}

fn attribution(site: &str, kind: &str, id: &str, owner: &str) -> String {
    let path = if kind == "question" { "q" } else { "a" };
    let by = if owner.is_empty() {
        String::new()
    } else {
        format!(" by {owner}")
    };
    format!(
        "\n\n<p><em>Imported from <a href=\"https://{site}/{path}/{id}\">https://{site}/{path}/{id}</a>{by}, \
         licensed under <a href=\"https://creativecommons.org/licenses/by-sa/4.0/\">CC BY-SA</a>.</em></p>"
    )
}

/// Imports `rows` into `space_id` as `author_id`. Each thread (with its new answers) is one
/// transaction; `progress` is called after each question.
pub async fn import(
    db: &DatabaseConnection,
    rows: Vec<Row>,
    site: &str,
    space_id: i32,
    author_id: i32,
    mut progress: impl FnMut(),
) -> anyhow::Result<Summary> {
    let source = format!("stackexchange:{site}");
    let done: HashMap<String, i32> = import_source::Entity::find()
        .filter(import_source::Column::Source.eq(source.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.external_id, r.post_id))
        .collect();
    let mut answers: HashMap<String, Vec<Row>> = HashMap::new();
    let mut questions = Vec::new();
    for row in rows {
        match (row.post_type.as_str(), &row.parent_id) {
            ("1", _) => questions.push(row),
            ("2", Some(parent)) => answers.entry(parent.clone()).or_default().push(row),
            _ => {}
        }
    }
    let mut summary = Summary {
        threads: 0,
        replies: 0,
        skipped_existing: 0,
        skipped_invalid: 0,
    };
    let now = Utc::now();
    for q in questions {
        let mut replies = answers.remove(&q.id).unwrap_or_default();
        replies.sort_by_key(|a| a.created);
        let pending: Vec<&Row> = replies
            .iter()
            .filter(|a| !done.contains_key(&a.id))
            .collect();
        if done.contains_key(&q.id) && pending.is_empty() {
            summary.skipped_existing += 1 + replies.len();
            progress();
            continue;
        }
        let txn = crate::db::begin_write(db).await?;
        let opening_id = match done.get(&q.id) {
            Some(post_id) => *post_id,
            None => {
                let body = format!(
                    "{}{}",
                    q.body_html,
                    attribution(site, "question", &q.id, &q.owner)
                );
                let (Ok(title), Ok(body)) = (
                    Title::parse(&q.title, 200),
                    RenderedBody::from_markdown(&body, 100_000),
                ) else {
                    summary.skipped_invalid += 1;
                    progress();
                    continue;
                };
                let tags = TagList::parse(&q.tags.iter().take(10).cloned().collect::<Vec<_>>(), 10)
                    .unwrap_or_default();
                let created = if q.created.timestamp() == 0 {
                    now
                } else {
                    q.created
                };
                let (_, post_id) = threads::start(
                    &txn,
                    space_id,
                    author_id,
                    threads::NewThread {
                        title,
                        body,
                        tags,
                        marking: Marking::Official,
                    },
                    created,
                )
                .await?;
                record(&txn, &source, &q.id, post_id).await?;
                summary.threads += 1;
                post_id
            }
        };
        let Some(opening) = post::Entity::find_by_id(opening_id).one(&txn).await? else {
            summary.skipped_invalid += 1;
            continue;
        };
        let Some(t) = thread::Entity::find_by_id(opening.thread_id)
            .one(&txn)
            .await?
        else {
            summary.skipped_invalid += 1;
            continue;
        };
        let mut latest = t.last_activity_at;
        for a in pending {
            let body = format!(
                "{}{}",
                a.body_html,
                attribution(site, "answer", &a.id, &a.owner)
            );
            let Ok(body) = RenderedBody::from_markdown(&body, 100_000) else {
                summary.skipped_invalid += 1;
                continue;
            };
            let made = posts::reply(&txn, &t, &opening, author_id, &body, a.created).await?;
            record(&txn, &source, &a.id, made.id).await?;
            latest = latest.max(a.created);
            summary.replies += 1;
        }
        thread::Entity::update_many()
            .col_expr(thread::Column::LastActivityAt, Expr::value(latest))
            .filter(thread::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        progress();
    }
    let orphans: HashSet<&String> = answers.keys().collect();
    summary.skipped_invalid += orphans.len();
    Ok(summary)
}

async fn record(
    db: &impl sea_orm::ConnectionTrait,
    source: &str,
    external_id: &str,
    post_id: i32,
) -> Result<(), sea_orm::DbErr> {
    import_source::ActiveModel {
        source: Set(source.to_string()),
        external_id: Set(external_id.to_string()),
        post_id: Set(post_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// `cstheory-meta` (the dump's folder) → `cstheory.meta.stackexchange.com`.
pub fn site_from_folder(path: &Path) -> Option<String> {
    let folder = path.parent()?.file_name()?.to_str()?;
    let name = folder
        .strip_suffix("-meta")
        .map(|s| format!("{s}.meta"))
        .unwrap_or_else(|| folder.to_string());
    Some(format!("{name}.stackexchange.com"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_sites() {
        assert_eq!(
            parse_tags("<discussion><7-essential>"),
            vec!["discussion", "7-essential"]
        );
        assert_eq!(parse_tags("|a|b|"), vec!["a", "b"]);
        assert_eq!(
            site_from_folder(Path::new("x/cstheory-meta/Posts.xml")).unwrap(),
            "cstheory.meta.stackexchange.com"
        );
        assert!(parse_date("2010-08-16T20:20:28.943").is_some());
    }
}
