//! Slows password guessing down without letting anyone lock other people out. Failures are
//! counted per (account, client address) and per client address, in the database, so every
//! server process sees the same counts and a restart resets nothing. Past a number of free
//! failures each further attempt waits twice as long as the one before (1 s, 2 s, 4 s, … up to
//! the window). Someone guessing from elsewhere slows only themselves: the account's owner, at
//! their own address, signs in as usual.
use crate::audit::{self, AuditEntry};
use crate::db::entities::login_failure;
use crate::settings::AuthSettings;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures for one account from one address before attempts are slowed.
    pub free_per_account: u32,
    /// Failures from one address, any account, before attempts are slowed.
    pub free_per_address: u32,
    /// How long a failure counts; also the longest wait.
    pub window: Duration,
}

impl ThrottlePolicy {
    pub fn from_settings(auth: &AuthSettings) -> Self {
        ThrottlePolicy {
            free_per_account: auth.login_failures_per_account,
            free_per_address: auth.login_failures_per_ip,
            window: Duration::seconds(i64::try_from(auth.login_window_seconds).unwrap_or(900)),
        }
    }
}

/// The wait after `failures` failures, the last at `last`: none while within `free`, then
/// doubling from one second, never more than `window`. Seconds left, if any.
pub fn seconds_to_wait(
    failures: u64,
    free: u32,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    window: Duration,
) -> Option<u64> {
    let last = last?;
    let over = failures.checked_sub(u64::from(free))?;
    let delay = Duration::seconds(1i64 << over.min(30)).min(window);
    let left = (last + delay - now).num_milliseconds();
    (left > 0).then(|| u64::try_from((left + 999) / 1000).unwrap_or(1))
}

async fn failures_since(
    db: &impl ConnectionTrait,
    account: Option<&str>,
    addr: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), sea_orm::DbErr> {
    let mut query = login_failure::Entity::find()
        .filter(login_failure::Column::ClientAddr.eq(addr))
        .filter(login_failure::Column::FailedAt.gt(since));
    if let Some(account) = account {
        query = query.filter(login_failure::Column::Account.eq(account));
    }
    let last = query
        .clone()
        .order_by_desc(login_failure::Column::FailedAt)
        .one(db)
        .await?
        .map(|f| f.failed_at);
    if last.is_none() {
        return Ok((0, None));
    }
    Ok((query.count(db).await?, last))
}

/// Seconds to wait before an attempt on `account` from `addr` is heard, if any.
pub async fn wait_before_attempt(
    db: &impl ConnectionTrait,
    policy: &ThrottlePolicy,
    account: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> Result<Option<u64>, sea_orm::DbErr> {
    let since = now - policy.window;
    let (pair, pair_last) = failures_since(db, Some(account), addr, since).await?;
    let (any, any_last) = failures_since(db, None, addr, since).await?;
    Ok([
        seconds_to_wait(pair, policy.free_per_account, pair_last, now, policy.window),
        seconds_to_wait(any, policy.free_per_address, any_last, now, policy.window),
    ]
    .into_iter()
    .flatten()
    .max())
}

/// Counts an attempt as a failure before its password is checked, so a burst of parallel
/// guesses is counted while they run; a success takes it back (`record_success`). Failures
/// older than the window are forgotten here.
pub async fn count_attempt(
    db: &impl ConnectionTrait,
    policy: &ThrottlePolicy,
    account: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::FailedAt.lte(now - policy.window))
        .exec(db)
        .await?;
    login_failure::ActiveModel {
        account: Set(account.chars().take(320).collect()),
        client_addr: Set(addr.to_string()),
        failed_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Puts a failed attempt in the audit log.
pub async fn audit_failure(
    db: &impl ConnectionTrait,
    account: &str,
    addr: &str,
    user_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    audit::record(
        db,
        AuditEntry {
            actor_id: None,
            action: "auth.login_failed",
            target_type: "user",
            target_id: user_id,
            detail: serde_json::json!({
                "account": account.chars().take(320).collect::<String>(),
                "client_address": addr,
            }),
        },
        now,
    )
    .await
}

/// A success forgets that account's failures from that address, the attempt itself included.
pub async fn record_success(
    db: &impl ConnectionTrait,
    account: &str,
    addr: &str,
) -> Result<(), sea_orm::DbErr> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Account.eq(account))
        .filter(login_failure::Column::ClientAddr.eq(addr))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures_and_never_exceed_the_window() {
        let now = Utc::now();
        let window = Duration::seconds(900);
        let wait = |n| seconds_to_wait(n, 5, Some(now), now, window);
        assert_eq!(wait(4), None);
        assert_eq!(wait(5), Some(1));
        assert_eq!(wait(6), Some(2));
        assert_eq!(wait(8), Some(8));
        assert_eq!(wait(40), Some(900));
        assert_eq!(
            seconds_to_wait(6, 5, Some(now - Duration::seconds(3)), now, window),
            None
        );
        assert_eq!(seconds_to_wait(6, 5, None, now, window), None);
    }
}
