//! Delivery guarantees against a real SMTP server: a kill -9 in the middle of a run loses and
//! doubles nothing, two processes on one PostgreSQL database send each digest once, and each
//! kind of SMTP failure ends in its documented state.
use crate::digests::{add_person, PUBLIC_URL};
use crate::helpers::{backends, Backend, TestApp};
use crate::mail::{iso_week, next_default_due, parse_all};
use roundtable_tests::smtp_sink::{Behaviour, SmtpSink};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A server with `readers` chief officers who all have one thread of someone else's to read
/// this week, its scheduler off. Returns the readers' (id, email).
async fn week_with_readers(
    app: &mut TestApp,
    sink: &SmtpSink,
    readers: usize,
) -> Vec<(i64, String)> {
    app.set_env("ROUNDTABLE__MAIL__SMTP_URL", &sink.url());
    app.set_env("ROUNDTABLE__SERVER__PUBLIC_URL", PUBLIC_URL);
    app.set_env("ROUNDTABLE__DIGEST__SCHEDULER", "false");
    app.set_env("ROUNDTABLE__DIGEST__TICK_SECONDS", "1");
    app.stop();
    app.start();
    let org = app.add_org("Kent Police", "force");
    add_person(
        app,
        "author@kent.example",
        "Alex Author",
        "Kent Police",
        "chief_officer",
    );
    app.add_space("it-digital", "chief_officer", "chief_officer", None);
    let token = app.login("author@kent.example").await;
    app.start_thread(&token, "it-digital", "Cloud custody costs", "Our figures.")
        .await;
    app.insert_users(readers, org, "chief_officer").await
}

/// Message-IDs received per recipient.
fn ids_per_recipient(sink: &SmtpSink) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in parse_all(&sink.received()) {
        out.entry(m.to[0].clone()).or_default().push(m.message_id);
    }
    out
}

fn distinct_ids(sink: &SmtpSink) -> usize {
    parse_all(&sink.received())
        .into_iter()
        .map(|m| m.message_id)
        .collect::<HashSet<_>>()
        .len()
}

async fn wait_for_distinct(sink: &SmtpSink, n: usize, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    while distinct_ids(sink) < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_kill_in_the_middle_of_a_digest_run_loses_and_doubles_nothing() {
    const READERS: usize = 220;
    const CONCURRENCY: usize = 4;
    let sink = SmtpSink::start();
    // Slow enough that the kill lands mid-run: 220 messages take about 3 s.
    sink.set_delay(Duration::from_millis(50));
    let mut app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let readers = week_with_readers(&mut app, &sink, READERS).await;
    let due = next_default_due(chrono::Utc::now());
    let week = iso_week(due);
    app.set_env(
        "ROUNDTABLE__CLOCK__START",
        &(due + chrono::Duration::seconds(5)).to_rfc3339(),
    );
    app.set_env("ROUNDTABLE__DIGEST__SCHEDULER", "true");
    app.set_env("ROUNDTABLE__DIGEST__BATCH", "20");
    app.set_env("ROUNDTABLE__DIGEST__CONCURRENCY", &CONCURRENCY.to_string());
    app.set_env("ROUNDTABLE__DIGEST__LEASE_SECONDS", "2");
    app.start();
    sink.wait_for(60, Duration::from_secs(60));
    app.stop(); // SIGKILL
    let at_kill = sink.count();
    assert!(
        at_kill < READERS,
        "the run finished before the kill ({at_kill})"
    );
    app.start();
    wait_for_distinct(&sink, READERS, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let per = ids_per_recipient(&sink);
    for (id, email) in &readers {
        let ids = per
            .get(email)
            .unwrap_or_else(|| panic!("{email} got no digest"));
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), 1, "{email}: {ids:?}");
        assert_eq!(ids[0], format!("digest.{id}.{week}@127.0.0.1"));
    }
    let total = sink.count();
    assert!(
        total - READERS <= CONCURRENCY,
        "{} resent; only messages on the wire at the kill may be",
        total - READERS
    );
    let sent = app
        .count(&format!("SELECT COUNT(*) FROM mail_jobs WHERE kind = 'digest' AND week = '{week}' AND status = 'sent'"))
        .await;
    assert_eq!(sent as usize, READERS);
    eprintln!("kill -9 after {at_kill} messages; {total} received in all for {READERS} readers");
}

#[tokio::test]
async fn two_processes_on_one_postgres_database_send_each_digest_once() {
    let Some(pg) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres { .. }))
    else {
        eprintln!("note: ROUNDTABLE_TEST_PG is not set, so the two-process test did not run");
        return;
    };
    const READERS: usize = 150;
    let sink = SmtpSink::start();
    sink.set_delay(Duration::from_millis(60));
    let mut app = TestApp::spawn(pg).await;
    let readers = week_with_readers(&mut app, &sink, READERS).await;
    let due = next_default_due(chrono::Utc::now());
    // Both clocks start 8 s before the digests fall due, so both processes are up and
    // waiting when they do, however long the second takes to start.
    app.set_env(
        "ROUNDTABLE__CLOCK__START",
        &(due - chrono::Duration::seconds(8)).to_rfc3339(),
    );
    app.set_env("ROUNDTABLE__DIGEST__SCHEDULER", "true");
    app.set_env("ROUNDTABLE__DIGEST__BATCH", "5");
    app.set_env("ROUNDTABLE__DIGEST__CONCURRENCY", "2");
    app.start();
    let _second = app.start_sibling();
    wait_for_distinct(&sink, READERS, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let per = ids_per_recipient(&sink);
    for (_, email) in &readers {
        assert_eq!(per.get(email).map(Vec::len), Some(1), "{email}");
    }
    assert_eq!(sink.count(), READERS, "no digest sent twice");
    let workers = app
        .count("SELECT COUNT(DISTINCT claimed_by) FROM mail_jobs WHERE kind = 'digest' AND status = 'sent'")
        .await;
    assert_eq!(workers, 2, "both processes took part");
}

/// Runs `digest run --user EMAIL` and returns its stdout.
fn run_for(app: &TestApp, email: &str, env: &[(&str, &str)]) -> String {
    let out = app.cli(&["digest", "run", "--user", email], env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn job_of(app: &TestApp, user_id: i64) -> (String, i64, String) {
    let db = app.db().await;
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT status, attempts, COALESCE(last_error, '') FROM mail_jobs WHERE user_id = {user_id} AND kind = 'digest'"),
        ))
        .await
        .unwrap()
        .expect("a digest job");
    (
        row.try_get_by_index::<String>(0).unwrap(),
        row.try_get_by_index::<i32>(1).unwrap() as i64,
        row.try_get_by_index::<String>(2).unwrap(),
    )
}

#[tokio::test]
async fn smtp_failures_end_in_their_documented_states() {
    let sink = SmtpSink::start();
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    app.set_env("ROUNDTABLE__DIGEST__SEND_EMPTY", "true");
    app.set_env("ROUNDTABLE__DIGEST__RETRY_BASE_SECONDS", "1");
    app.set_env("ROUNDTABLE__DIGEST__MAX_ATTEMPTS", "2");
    app.set_env("ROUNDTABLE__MAIL__TIMEOUT_SECONDS", "1");
    let readers = week_with_readers(&mut app, &sink, 4).await;
    let [(refused_id, refused), (stalled_id, stalled), (flaky_id, flaky), (rejected_id, rejected)] =
        readers.try_into().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("smtp://127.0.0.1:{closed}");

    // Connection refused: retried later, then given up after max_attempts.
    let out = run_for(&app, &refused, &[("ROUNDTABLE__MAIL__SMTP_URL", &nowhere)]);
    assert!(out.contains("to retry 1"), "{out}");
    let (status, attempts, error) = job_of(&app, refused_id).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1), "{error}");
    assert!(!error.is_empty());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = run_for(&app, &refused, &[("ROUNDTABLE__MAIL__SMTP_URL", &nowhere)]);
    assert!(out.contains("failed 1"), "{out}");
    let (status, attempts, error) = job_of(&app, refused_id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 2));
    assert!(error.starts_with("gave up after 2 attempts"), "{error}");

    // A server that stalls past the timeout: retried later.
    sink.set_behaviour(Behaviour::Stall(Duration::from_secs(3)));
    let out = run_for(&app, &stalled, &[]);
    assert!(out.contains("to retry 1"), "{out}");
    let (status, _, error) = job_of(&app, stalled_id).await;
    assert_eq!(status, "pending");
    assert!(error.contains("did not answer within 1 s"), "{error}");

    // 4xx, then accepted on the retry.
    sink.set_behaviour(Behaviour::TemporaryFailures(1));
    let before = sink.count();
    let out = run_for(&app, &flaky, &[]);
    assert!(out.contains("to retry 1"), "{out}");
    let (_, _, error) = job_of(&app, flaky_id).await;
    assert!(error.contains("451"), "{error}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = run_for(&app, &flaky, &[]);
    assert!(out.contains("sent 1"), "{out}");
    assert_eq!(job_of(&app, flaky_id).await.0, "sent");
    assert_eq!(job_of(&app, flaky_id).await.1, 2);
    assert_eq!(sink.count(), before + 1);

    // 5xx: failed at once, never retried.
    sink.set_behaviour(Behaviour::Reject);
    let out = run_for(&app, &rejected, &[]);
    assert!(out.contains("failed 1"), "{out}");
    let (status, attempts, error) = job_of(&app, rejected_id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(error.contains("554"), "{error}");
    sink.set_behaviour(Behaviour::Accept);
    let out = run_for(&app, &rejected, &[]);
    assert!(
        out.contains("sent 0, skipped (empty or turned off) 0, failed 0"),
        "{out}"
    );

    let out = app.cli(&["digest", "status"], &[]);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains("failed") && status.contains("554"),
        "{status}"
    );
}

#[tokio::test]
async fn starttls_to_a_relay_signed_by_a_private_authority() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.path().join("relay.pem");
    let key = dir.path().join("relay.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let sink = SmtpSink::start_with_starttls(cert.to_str().unwrap(), key.to_str().unwrap());
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    app.set_env("ROUNDTABLE__DIGEST__SEND_EMPTY", "true");
    app.set_env("ROUNDTABLE__DIGEST__RETRY_BASE_SECONDS", "1");
    let readers = week_with_readers(&mut app, &sink, 2).await;
    let required = format!("smtp://localhost:{}?tls=required", sink.port);

    // Without the authority's certificate the relay is not trusted: nothing is sent.
    let out = run_for(
        &app,
        &readers[0].1,
        &[("ROUNDTABLE__MAIL__SMTP_URL", &required)],
    );
    assert!(out.contains("to retry 1"), "{out}");
    assert_eq!(sink.count(), 0);

    let ca = cert.to_str().unwrap();
    let out = run_for(
        &app,
        &readers[1].1,
        &[
            ("ROUNDTABLE__MAIL__SMTP_URL", &required),
            ("ROUNDTABLE__MAIL__SMTP_CA_FILE", ca),
        ],
    );
    assert!(out.contains("sent 1"), "{out}");
    let got = parse_all(&sink.received());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to[0], readers[1].1);

    // A CA file that is not a certificate stops the command with the setting named.
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let junk = dir.path().join("junk.pem");
    let out = app.cli(
        &["digest", "run", "--user", &readers[1].1],
        &[
            ("ROUNDTABLE__MAIL__SMTP_URL", &required),
            ("ROUNDTABLE__MAIL__SMTP_CA_FILE", junk.to_str().unwrap()),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mail.smtp_ca_file"));
}
