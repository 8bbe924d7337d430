//! `roundtable seed --demo`: organisations, people, spaces and discussions written for the
//! demo, loaded idempotently (what exists already is left alone).
pub mod case_studies;
pub mod documents;
use crate::accounts::{self, NewUser};
use crate::auth::password;
use crate::db::entities::{thread, user};
use crate::domain::{Email, Marking, OrgKind, Role, RoleSet, Slug, TagList};
use crate::forum::input::{RenderedBody, Title};
use crate::forum::{posts, threads};
use crate::spaces::{self, NewSpace};
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Deserialize;
use std::collections::HashMap;

const DEMO: &str = include_str!("demo.json");

#[derive(Deserialize)]
struct Demo {
    organisations: Vec<DemoOrg>,
    users: Vec<DemoUser>,
    spaces: Vec<DemoSpace>,
    threads: Vec<DemoThread>,
}

#[derive(Deserialize)]
struct DemoOrg {
    name: String,
    kind: String,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    name: String,
    role: String,
    org: String,
    job_title: String,
}

#[derive(Deserialize)]
struct DemoSpace {
    slug: String,
    name: String,
    description: String,
    read_roles: Vec<String>,
    post_roles: Vec<String>,
    members: Option<Vec<String>>,
    archived: bool,
}

#[derive(Deserialize)]
struct DemoThread {
    space: String,
    title: String,
    author: String,
    marking: String,
    tags: Vec<String>,
    pinned: bool,
    locked: bool,
    best_practice: bool,
    days_ago: i64,
    body: String,
    replies: Vec<DemoReply>,
}

#[derive(Deserialize)]
struct DemoReply {
    author: String,
    hours_after: i64,
    body: String,
    #[serde(default)]
    replies: Vec<DemoReply>,
}

pub async fn demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let data: Demo = serde_json::from_str(DEMO).context("the embedded demo data is not valid")?;
    let now = Utc::now();

    let mut orgs = HashMap::new();
    for o in &data.organisations {
        let found = match accounts::find_org_by_name(db, &o.name).await? {
            Some(found) => found,
            None => {
                accounts::add_organisation(db, &o.name, o.kind.parse::<OrgKind>()?, now).await?
            }
        };
        orgs.insert(o.name.clone(), found.id);
    }

    let password = std::env::var("ROUNDTABLE_DEMO_PASSWORD")
        .unwrap_or_else(|_| crate::auth::random_token()[..16].to_string());
    let mut shared_hash = None;
    let mut users: HashMap<String, i32> = HashMap::new();
    let mut created_users = 0;
    for u in &data.users {
        let email = Email::parse(&u.email)?;
        let found = match accounts::find_user(db, &email).await? {
            Some(found) => found,
            None => {
                let org = *orgs.get(&u.org).with_context(|| {
                    format!("demo user {} names unknown org {}", u.email, u.org)
                })?;
                let made = accounts::add_user(
                    db,
                    NewUser {
                        email: &email,
                        display_name: &u.name,
                        role: u.role.parse::<Role>()?,
                        organisation_id: org,
                        job_title: &u.job_title,
                        password: None,
                    },
                    now,
                )
                .await?;
                if shared_hash.is_none() {
                    let p = password.clone();
                    shared_hash =
                        Some(tokio::task::spawn_blocking(move || password::hash(&p)).await??);
                }
                let mut active: user::ActiveModel = made.into();
                active.password_hash = Set(shared_hash.clone());
                created_users += 1;
                active.update(db).await?
            }
        };
        users.insert(u.email.to_lowercase(), found.id);
    }

    let mut space_ids = HashMap::new();
    for s in &data.spaces {
        let found = match spaces::find_by_slug(db, &s.slug).await? {
            Some(found) => found,
            None => {
                let members = s
                    .members
                    .as_ref()
                    .map(|m| {
                        m.iter()
                            .map(|e| Email::parse(e))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?;
                let txn = crate::db::begin_write(db).await?;
                let made = spaces::add(
                    &txn,
                    NewSpace {
                        slug: Slug::parse(&s.slug)?,
                        name: s.name.clone(),
                        description: s.description.clone(),
                        read_roles: RoleSet::parse(&s.read_roles.join(","))?,
                        post_roles: RoleSet::parse(&s.post_roles.join(","))?,
                        members,
                        archived: s.archived,
                    },
                    now,
                )
                .await?;
                txn.commit().await?;
                made
            }
        };
        space_ids.insert(s.slug.clone(), found.id);
    }

    let mut created_threads = 0;
    for t in &data.threads {
        let space_id = *space_ids
            .get(&t.space)
            .with_context(|| format!("demo thread names unknown space {}", t.space))?;
        let exists = thread::Entity::find()
            .filter(thread::Column::SpaceId.eq(space_id))
            .filter(thread::Column::Title.eq(t.title.as_str()))
            .one(db)
            .await?
            .is_some();
        if !exists {
            load_thread(db, space_id, t, &users, now).await?;
            created_threads += 1;
        }
    }

    println!(
        "demo data: {} organisations, {} users ({} new), {} spaces, {} threads ({} new)",
        orgs.len(),
        users.len(),
        created_users,
        space_ids.len(),
        data.threads.len(),
        created_threads
    );
    if created_users > 0 {
        println!("demo password for every demo user (shown once): {password}");
        println!("sign in as admin@roundtable.example or any demo email with it");
    }
    Ok(())
}

async fn load_thread(
    db: &DatabaseConnection,
    space_id: i32,
    t: &DemoThread,
    users: &HashMap<String, i32>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let who = |email: &str| {
        users
            .get(&email.to_lowercase())
            .copied()
            .with_context(|| format!("demo data names unknown user {email}"))
    };
    let started = now - Duration::days(t.days_ago);
    let txn = crate::db::begin_write(db).await?;
    let (thread_id, opening_id) = threads::start(
        &txn,
        space_id,
        who(&t.author)?,
        threads::NewThread {
            title: Title::parse(&t.title, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
            body: RenderedBody::from_markdown(&t.body, 100_000)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            tags: TagList::parse(&t.tags, 10)?,
            marking: t.marking.parse::<Marking>()?,
        },
        started,
    )
    .await?;
    let model = thread::Entity::find_by_id(thread_id)
        .one(&txn)
        .await?
        .context("thread just made")?;
    let opening = crate::db::entities::post::Entity::find_by_id(opening_id)
        .one(&txn)
        .await?
        .context("post just made")?;
    let mut stack: Vec<(&DemoReply, crate::db::entities::post::Model)> = t
        .replies
        .iter()
        .rev()
        .map(|r| (r, opening.clone()))
        .collect();
    let mut last_activity = started;
    while let Some((reply, parent)) = stack.pop() {
        let at = (started + Duration::hours(reply.hours_after)).min(now);
        last_activity = last_activity.max(at);
        let body = RenderedBody::from_markdown(&reply.body, 100_000)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let made = posts::reply(&txn, &model, &parent, who(&reply.author)?, &body, at).await?;
        stack.extend(reply.replies.iter().rev().map(|r| (r, made.clone())));
    }
    let flags = threads::ThreadChanges {
        pinned: Some(t.pinned),
        locked: Some(t.locked),
        best_practice: Some(t.best_practice),
        ..Default::default()
    };
    threads::change(&txn, &model, &flags, now).await?;
    if t.best_practice {
        crate::use_cases::best_practice::follow_thread_flag(
            &txn,
            &model,
            true,
            model.author_id,
            now,
        )
        .await?;
    }
    // Replies are loaded in tree order, not time order: set the thread's activity to the latest.
    thread::Entity::update_many()
        .col_expr(
            thread::Column::LastActivityAt,
            sea_orm::sea_query::Expr::value(last_activity),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
