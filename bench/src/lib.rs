//! What the benchmarks share: a signed-in chief officer and one space to write in.
use roundtable::accounts::{self, NewUser};
use roundtable::domain::{Email, OrgKind, Role, RoleSet, Slug};
use roundtable::spaces::{self, NewSpace};
use sea_orm::{DatabaseConnection, TransactionTrait};

pub mod raw_tantivy;
pub mod webmasters;
pub mod wrk;

pub const EMAIL: &str = "bench@kent.example";
pub const PASSWORD: &str = "benchmark password 1";
/// What Chromium and Firefox send, as a `wrk` header line.
pub const BROWSER_ENCODINGS: &str = "Accept-Encoding: gzip, deflate, br, zstd";

/// Creates the benchmark's chief officer (`EMAIL`, `PASSWORD`) and a space they may post in.
/// Returns (user id, space id).
pub async fn user_and_space(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
) -> anyhow::Result<(i32, i32)> {
    let now = chrono::Utc::now();
    let org = accounts::add_organisation(db, "Kent Police", OrgKind::Force, now).await?;
    let email = Email::parse(EMAIL)?;
    let user = accounts::add_user(
        db,
        NewUser {
            email: &email,
            display_name: "Bench Chief",
            role: Role::ChiefOfficer,
            organisation_id: org.id,
            job_title: "Chief Constable",
            password: Some(PASSWORD),
        },
        now,
    )
    .await?;
    let space_id = add_space(db, slug, name, now).await?;
    Ok((user.id, space_id))
}

/// Adds a space only chief officers read and post in; returns its id.
pub async fn add_space(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<i32> {
    let txn = db.begin().await?;
    let space = spaces::add(
        &txn,
        NewSpace {
            slug: Slug::parse(slug)?,
            name: name.into(),
            description: String::new(),
            read_roles: RoleSet::parse("chief_officer")?,
            post_roles: RoleSet::parse("chief_officer")?,
            members: None,
            archived: false,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(space.id)
}

/// A thread and its opening post, as `threads::start` left them (to reply under).
pub async fn thread_and_opening(
    db: &impl sea_orm::ConnectionTrait,
    thread_id: i32,
    post_id: i32,
) -> anyhow::Result<(
    roundtable::db::entities::thread::Model,
    roundtable::db::entities::post::Model,
)> {
    use anyhow::Context;
    use sea_orm::EntityTrait;
    let thread = roundtable::db::entities::thread::Entity::find_by_id(thread_id)
        .one(db)
        .await?
        .context("thread")?;
    let opening = roundtable::db::entities::post::Entity::find_by_id(post_id)
        .one(db)
        .await?
        .context("post")?;
    Ok((thread, opening))
}

/// Signs the benchmark's chief officer in through the API at `base` (`http://HOST:PORT`) and
/// returns the access token.
pub async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    sign_in_as(client, base, EMAIL, PASSWORD).await
}

/// Signs `email` in through the API at `base`; returns the access token.
pub async fn sign_in_as(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    login["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{email} could not sign in: {login}"))
}

/// The middle value of a set of timings.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The value at fraction `p` (0 to 1) of sorted timings.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One `GET /api/v1/search?q=…` as `token`, read to the end; returns its time in
/// milliseconds, and fails on any answer but 2xx.
pub async fn timed_api_search(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
) -> anyhow::Result<f64> {
    let t = std::time::Instant::now();
    let res = client
        .get(format!("{base}/api/v1/search"))
        .query(&[("q", query)])
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "search {query}: {}",
        res.status()
    );
    let _ = res.bytes().await?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// Search latencies in milliseconds, each list sorted.
pub struct SearchLatencies {
    /// Each query's first run (nothing of it kept yet in our caches or tantivy's).
    pub first_ours: Vec<f64>,
    pub first_raw: Vec<f64>,
    /// The runs after it.
    pub ours: Vec<f64>,
    pub raw: Vec<f64>,
}

impl SearchLatencies {
    /// (what, ours, raw) for p50 and p99 of the first runs and of the later runs.
    pub fn percentiles(&self) -> [(&'static str, f64, f64); 4] {
        let at =
            |what, ours: &[f64], raw: &[f64], p| (what, percentile(ours, p), percentile(raw, p));
        let (first, again) = ((&self.first_ours, &self.first_raw), (&self.ours, &self.raw));
        [
            at("p50, each query's first run", first.0, first.1, 0.5),
            at("p99, each query's first run", first.0, first.1, 0.99),
            at("p50, each query again", again.0, again.1, 0.5),
            at("p99, each query again", again.0, again.1, 0.99),
        ]
    }
}

/// Each query through `GET /api/v1/search` and on raw tantivy: once, then `rounds` times more.
/// The two take turns going first, so neither is timed on the pages the other just read in.
pub async fn paired_search_latencies(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    raw: &std::sync::Arc<raw_tantivy::Raw>,
    queries: &[String],
    rounds: usize,
) -> anyhow::Result<SearchLatencies> {
    let raw_search = |q: &str| {
        let (raw, text) = (raw.clone(), q.to_string());
        async move {
            let t = std::time::Instant::now();
            tokio::task::spawn_blocking(move || raw.search(&text)).await??;
            anyhow::Ok(t.elapsed().as_secs_f64() * 1000.0)
        }
    };
    let mut runs: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    for round in 0..=rounds {
        let (mut ours, mut raw_ms) = (Vec::new(), Vec::new());
        for (n, q) in queries.iter().enumerate() {
            if (n + round) % 2 == 0 {
                ours.push(timed_api_search(client, base, token, q).await?);
                raw_ms.push(raw_search(q).await?);
            } else {
                raw_ms.push(raw_search(q).await?);
                ours.push(timed_api_search(client, base, token, q).await?);
            }
        }
        runs.push((ours, raw_ms));
    }
    let sorted = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v
    };
    let (first_ours, first_raw) = runs.remove(0);
    let (ours, raw_ms) = runs
        .into_iter()
        .fold((Vec::new(), Vec::new()), |mut all, run| {
            all.0.extend(run.0);
            all.1.extend(run.1);
            all
        });
    Ok(SearchLatencies {
        first_ours: sorted(first_ours),
        first_raw: sorted(first_raw),
        ours: sorted(ours),
        raw: sorted(raw_ms),
    })
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}
