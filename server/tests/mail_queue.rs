//! The mail queue's claims against a real SQLite database: what is due is claimed once, a
//! lease that runs out is claimed again, only the claimer may finish a job, and failures end
//! in the documented states.
mod common;

use chrono::{Duration, Utc};
use roundtable::accounts::{self, NewUser};
use roundtable::db::entities::mail_job;
use roundtable::delivery::jobs::{
    self, ClaimFilter, NewJob, Outcome, RetryPolicy, DIGEST, NOTIFICATION,
};
use roundtable::domain::{Email, OrgKind, Role};
use sea_orm::{DatabaseConnection, EntityTrait};

async fn database() -> (DatabaseConnection, i32, tempfile::TempDir) {
    let (db, dir) = common::sqlite_database().await;
    let now = Utc::now();
    let org = accounts::add_organisation(&db, "Kent Police", OrgKind::Force, now)
        .await
        .unwrap();
    let user = accounts::add_user(
        &db,
        NewUser {
            email: &Email::parse("chief@kent.example").unwrap(),
            display_name: "Chief",
            role: Role::ChiefOfficer,
            organisation_id: org.id,
            job_title: "",
            password: None,
        },
        now,
    )
    .await
    .unwrap();
    (db, user.id, dir)
}

fn job(key: &str, kind: &'static str, user_id: i32, due_in: i64) -> NewJob {
    NewJob {
        key: key.to_string(),
        kind,
        user_id,
        week: (kind == DIGEST).then(|| "2026-W49".to_string()),
        post_id: None,
        due_at: Utc::now() + Duration::seconds(due_in),
    }
}

#[tokio::test]
async fn claims_leases_and_finishing() {
    let (db, user, _dir) = database().await;
    let now = Utc::now();
    let lease = Duration::seconds(60);
    let policy = RetryPolicy {
        max_attempts: 2,
        base: Duration::seconds(30),
    };
    let added = jobs::enqueue(
        &db,
        vec![
            job("digest:a", DIGEST, user, -10),
            job("digest:a", DIGEST, user, -10),
            job("digest:later", DIGEST, user, 3600),
        ],
        now,
    )
    .await
    .unwrap();
    assert_eq!(added, 2, "one row per key");

    let all = ClaimFilter::default();
    let first = jobs::claim(&db, "w1", 10, lease, &all, now).await.unwrap();
    assert_eq!(first.len(), 1, "only what is due");
    let claimed = &first[0];
    assert_eq!((claimed.status.as_str(), claimed.attempts), ("sending", 1));
    assert!(jobs::claim(&db, "w2", 10, lease, &all, now)
        .await
        .unwrap()
        .is_empty());

    // The lease runs out (its worker died): another worker claims it; the first may no longer
    // finish it.
    let later = now + Duration::seconds(61);
    let again = jobs::claim(&db, "w2", 10, lease, &all, later)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    let sent = Outcome::Sent {
        message_id: "digest.1.2026-W49@host".into(),
    };
    assert!(!jobs::finish(&db, claimed, "w1", &sent, &policy, later)
        .await
        .unwrap());
    assert!(jobs::finish(&db, &again[0], "w2", &sent, &policy, later)
        .await
        .unwrap());
    let row = mail_job::Entity::find_by_id(claimed.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "sent");
    assert_eq!(row.message_id.as_deref(), Some("digest.1.2026-W49@host"));
    assert!(
        jobs::claim(&db, "w3", 10, lease, &all, later + Duration::days(1))
            .await
            .unwrap()
            .iter()
            .all(|j| j.job_key == "digest:later")
    );
}

#[tokio::test]
async fn failures_back_off_then_give_up_and_refusals_stop_at_once() {
    let (db, user, _dir) = database().await;
    let now = Utc::now();
    let lease = Duration::seconds(60);
    let policy = RetryPolicy {
        max_attempts: 2,
        base: Duration::seconds(30),
    };
    jobs::enqueue(
        &db,
        vec![
            job("flaky", DIGEST, user, -1),
            job("refused", DIGEST, user, -1),
        ],
        now,
    )
    .await
    .unwrap();
    let all = ClaimFilter::default();
    for j in jobs::claim(&db, "w", 10, lease, &all, now).await.unwrap() {
        let outcome = if j.job_key == "flaky" {
            Outcome::Transient {
                error: "451".into(),
            }
        } else {
            Outcome::Permanent {
                error: "554".into(),
            }
        };
        jobs::finish(&db, &j, "w", &outcome, &policy, now)
            .await
            .unwrap();
    }
    let rows = mail_job::Entity::find().all(&db).await.unwrap();
    let flaky = rows.iter().find(|r| r.job_key == "flaky").unwrap();
    assert_eq!(flaky.status, "pending");
    assert_eq!((flaky.due_at - now).num_seconds(), 30);
    let refused = rows.iter().find(|r| r.job_key == "refused").unwrap();
    assert_eq!(
        (refused.status.as_str(), refused.last_error.as_deref()),
        ("failed", Some("554"))
    );

    assert!(
        jobs::claim(&db, "w", 10, lease, &all, now + Duration::seconds(29))
            .await
            .unwrap()
            .is_empty()
    );
    let retry = jobs::claim(&db, "w", 10, lease, &all, now + Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(retry.len(), 1);
    let outcome = Outcome::Transient {
        error: "451".into(),
    };
    jobs::finish(&db, &retry[0], "w", &outcome, &policy, now)
        .await
        .unwrap();
    let flaky = mail_job::Entity::find_by_id(retry[0].id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(flaky.status, "failed");
    assert_eq!(
        flaky.last_error.as_deref(),
        Some("gave up after 2 attempts: 451")
    );
}

#[tokio::test]
async fn a_readers_later_notifications_join_the_batch_with_a_normal_lease() {
    let (db, user, _dir) = database().await;
    let now = Utc::now();
    let lease = Duration::seconds(60);
    jobs::enqueue(
        &db,
        vec![
            job("notify:1", NOTIFICATION, user, -1),
            job("notify:2", NOTIFICATION, user, 120),
        ],
        now,
    )
    .await
    .unwrap();
    let first = jobs::claim(&db, "w", 10, lease, &ClaimFilter::default(), now)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let rest = jobs::claim_notifications_of(&db, "w", user, lease, now)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1, "the one not yet due joins");
    let lease_until = rest[0].lease_until.unwrap();
    assert!(
        lease_until <= now + lease + Duration::seconds(1),
        "{lease_until}"
    );
}
