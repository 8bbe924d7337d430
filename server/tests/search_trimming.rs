//! Property test: whatever the users, spaces, audiences and posts, and after every kind of
//! change, no search result, count, facet or snippet holds text the viewer may not read.
//! Runs the real database (SQLite), the real index and the real indexer; the oracle is the
//! database state read through the one permission function.
mod common;

use proptest::prelude::*;
use roundtable::accounts::{self, NewUser};
use roundtable::db::entities::{post, space, thread, user};
use roundtable::domain::{Email, Marking, OrgKind, Role, RoleSet, Slug, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use roundtable::permissions::{access_from, decide, memberships, Action, Subject};
use roundtable::search::SearchService;
use roundtable::spaces::{self, NewSpace, SpaceChanges};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait,
};
use search_index::SearchRequest;
use std::collections::BTreeSet;

const ROLES: [Role; 4] = [Role::ChiefOfficer, Role::Pcc, Role::Staff, Role::Supplier];

#[derive(Debug, Clone)]
struct SpaceSpec {
    read: Vec<bool>,
    members: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
enum Change {
    Audience { space: usize, read: Vec<bool> },
    RemoveMember { space: usize, user: usize },
    MovePost { post: usize, to: usize },
    Disable { user: usize },
    Delete { post: usize },
}

#[derive(Debug, Clone)]
struct Scenario {
    spaces: Vec<SpaceSpec>,
    users: Vec<usize>,
    posts: Vec<usize>,
    changes: Vec<Change>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (1usize..4, 1usize..6, 1usize..10).prop_flat_map(|(n_spaces, n_users, n_posts)| {
        let space = (
            proptest::collection::vec(any::<bool>(), 4),
            proptest::option::of(proptest::collection::vec(0..n_users, 0..n_users + 1)),
        )
            .prop_map(|(read, members)| SpaceSpec { read, members });
        let change = prop_oneof![
            (0..n_spaces, proptest::collection::vec(any::<bool>(), 4))
                .prop_map(|(space, read)| Change::Audience { space, read }),
            (0..n_spaces, 0..n_users)
                .prop_map(|(space, user)| Change::RemoveMember { space, user }),
            (0..n_posts, 0..n_spaces).prop_map(|(post, to)| Change::MovePost { post, to }),
            (0..n_users).prop_map(|user| Change::Disable { user }),
            (0..n_posts).prop_map(|post| Change::Delete { post }),
        ];
        (
            proptest::collection::vec(space, n_spaces),
            proptest::collection::vec(0usize..4, n_users),
            proptest::collection::vec(0..n_spaces, n_posts),
            proptest::collection::vec(change, 1..5),
        )
            .prop_map(|(spaces, users, posts, changes)| Scenario {
                spaces,
                users,
                posts,
                changes,
            })
    })
}

fn roles(read: &[bool]) -> RoleSet {
    RoleSet::from_roles(
        ROLES
            .iter()
            .zip(read)
            .filter(|(_, r)| **r)
            .map(|(role, _)| *role),
    )
}

struct World {
    db: DatabaseConnection,
    search: std::sync::Arc<SearchService>,
    users: Vec<i32>,
    spaces: Vec<i32>,
    /// (thread id, post id, secret word) per post.
    posts: Vec<(i32, i32, String)>,
    _dir: tempfile::TempDir,
}

async fn build(s: &Scenario) -> World {
    let (db, dir) = common::sqlite_database().await;
    let now = chrono::Utc::now();
    let org = accounts::add_organisation(&db, "Kent Police", OrgKind::Force, now)
        .await
        .unwrap();
    let mut users = Vec::new();
    let mut emails = Vec::new();
    for (i, role) in s.users.iter().enumerate() {
        let email = Email::parse(&format!("u{i}@kent.example")).unwrap();
        let made = accounts::add_user(
            &db,
            NewUser {
                email: &email,
                display_name: &format!("User {i}"),
                role: ROLES[*role],
                organisation_id: org.id,
                job_title: "",
                password: None,
            },
            now,
        )
        .await
        .unwrap();
        users.push(made.id);
        emails.push(email);
    }
    let mut spaces_made = Vec::new();
    for (i, spec) in s.spaces.iter().enumerate() {
        let txn = db.begin().await.unwrap();
        let made = spaces::add(
            &txn,
            NewSpace {
                slug: Slug::parse(&format!("space-{i}")).unwrap(),
                name: format!("Space {i}"),
                description: String::new(),
                read_roles: roles(&spec.read),
                post_roles: roles(&spec.read),
                members: spec
                    .members
                    .as_ref()
                    .map(|m| m.iter().map(|u| emails[*u].clone()).collect()),
                archived: false,
            },
            now,
        )
        .await;
        let made = match made {
            Ok(m) => m,
            // A space nobody may read is refused; give it one role so it exists.
            Err(_) => spaces::add(
                &txn,
                NewSpace {
                    slug: Slug::parse(&format!("space-{i}")).unwrap(),
                    name: format!("Space {i}"),
                    description: String::new(),
                    read_roles: RoleSet::from_roles([Role::Staff]),
                    post_roles: RoleSet::from_roles([Role::Staff]),
                    members: None,
                    archived: false,
                },
                now,
            )
            .await
            .unwrap(),
        };
        txn.commit().await.unwrap();
        spaces_made.push(made.id);
    }
    let mut posts_made = Vec::new();
    for (i, space) in s.posts.iter().enumerate() {
        let word = format!("secret{i}word");
        let txn = db.begin().await.unwrap();
        let (t, p) = threads::start(
            &txn,
            spaces_made[*space],
            users[0],
            threads::NewThread {
                title: Title::parse(&format!("Title {word}"), 200).unwrap(),
                body: RenderedBody::from_markdown(&format!("Body {word}"), 1000).unwrap(),
                tags: TagList::parse(&[format!("tag{i}")], 10).unwrap(),
                marking: Marking::Official,
            },
            now,
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        posts_made.push((t, p, word));
    }
    let search = SearchService::start(&db, &dir.path().join("index"))
        .await
        .unwrap();
    World {
        db,
        search,
        users: users.clone(),
        spaces: spaces_made,
        posts: posts_made,
        _dir: dir,
    }
}

async fn apply(w: &World, change: &Change) {
    let now = chrono::Utc::now();
    let txn = w.db.begin().await.unwrap();
    match change {
        Change::Audience { space, read } => {
            let existing = space::Entity::find_by_id(w.spaces[*space])
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            let read = roles(read);
            if !read.roles().is_empty() {
                spaces::change(
                    &txn,
                    existing,
                    SpaceChanges {
                        read_roles: Some(read),
                        ..Default::default()
                    },
                    now,
                )
                .await
                .unwrap();
            }
        }
        Change::RemoveMember { space, user } => {
            roundtable::db::entities::space_member::Entity::delete_by_id((
                w.spaces[*space],
                w.users[*user],
            ))
            .exec(&txn)
            .await
            .unwrap();
        }
        Change::MovePost { post, to } => {
            let t = thread::Entity::find_by_id(w.posts[*post].0)
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            threads::change(
                &txn,
                &t,
                &threads::ThreadChanges {
                    space_id: Some(w.spaces[*to]),
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap();
        }
        Change::Disable { user } => {
            let u = user::Entity::find_by_id(w.users[*user])
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            let mut active: user::ActiveModel = u.into();
            active.disabled = Set(true);
            active.update(&txn).await.unwrap();
        }
        Change::Delete { post } => {
            let p = post::Entity::find_by_id(w.posts[*post].1)
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            if p.deleted_at.is_none() {
                posts::soft_delete(&txn, &p, w.users[0], now).await.unwrap();
            }
        }
    }
    txn.commit().await.unwrap();
}

/// The oracle: for one user, the secret words they may read, from the database.
async fn readable(w: &World, user_id: i32) -> (Vec<i32>, BTreeSet<String>, BTreeSet<String>) {
    let u = user::Entity::find_by_id(user_id)
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    let subject = Subject {
        user_id,
        role: u.role.parse().unwrap(),
        disabled: u.disabled,
    };
    let member_of = memberships(&w.db, user_id).await.unwrap();
    let mut spaces_ok = Vec::new();
    let mut slugs = BTreeSet::new();
    for s in space::Entity::find().all(&w.db).await.unwrap() {
        if decide(
            &subject,
            &access_from(&s, member_of.contains(&s.id)).unwrap(),
            Action::Read,
        )
        .allowed()
        {
            spaces_ok.push(s.id);
            slugs.insert(s.slug.clone());
        }
    }
    let mut words = BTreeSet::new();
    for (t, p, word) in &w.posts {
        let th = thread::Entity::find_by_id(*t)
            .one(&w.db)
            .await
            .unwrap()
            .unwrap();
        let po = post::Entity::find_by_id(*p)
            .one(&w.db)
            .await
            .unwrap()
            .unwrap();
        if spaces_ok.contains(&th.space_id) && po.deleted_at.is_none() {
            words.insert(word.clone());
        }
    }
    (spaces_ok, words, slugs)
}

async fn check(w: &World) -> Result<(), TestCaseError> {
    w.search.catch_up(&w.db).await.unwrap();
    let index = w.search.index();
    let all_words: Vec<&String> = w.posts.iter().map(|p| &p.2).collect();
    for &user_id in &w.users {
        let (spaces_ok, words, slugs) = readable(w, user_id).await;
        let mut req = SearchRequest::new("after:2000-01-01", spaces_ok.clone());
        req.per_page = 100;
        let everything = index.search(&req).unwrap();
        let text = format!("{everything:?}");
        for word in &all_words {
            let shown = text.contains(word.as_str());
            prop_assert!(
                !shown || words.contains(*word),
                "user {user_id} sees {word}: {text}"
            );
        }
        prop_assert_eq!(everything.total, words.len(), "user {} total", user_id);
        for (name, values) in &everything.facets {
            if name == "space" {
                for (slug, _) in values {
                    prop_assert!(
                        slugs.contains(slug),
                        "facet space {} shown to user {}",
                        slug,
                        user_id
                    );
                }
            }
        }
        let counted: u64 = everything
            .facets
            .iter()
            .find(|f| f.0 == "space")
            .map(|f| f.1.iter().map(|v| v.1).sum())
            .unwrap_or(0);
        prop_assert_eq!(counted as usize, words.len());
        for word in &all_words {
            let found = index
                .search(&SearchRequest::new(word, spaces_ok.clone()))
                .unwrap();
            prop_assert_eq!(
                found.total,
                usize::from(words.contains(*word)),
                "user {} word {}",
                user_id,
                word
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn no_result_count_facet_or_snippet_leaks(s in scenario()) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let w = build(&s).await;
            check(&w).await?;
            for change in &s.changes {
                apply(&w, change).await;
                check(&w).await?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}
