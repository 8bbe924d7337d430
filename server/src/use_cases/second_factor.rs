//! A second factor for password sign-ins: setting up an authenticator app, its recovery codes,
//! turning it off, and the second step of a sign-in. Shared by the JSON API and the pages.
//!
//! Changing a factor is a sensitive act: it needs a sign-in from the last
//! `auth.recent_sign_in_minutes` minutes or the password given again, and it ends the
//! person's other sessions.
use crate::audit::{self, AuditEntry};
use crate::auth::{login_throttle, random_token, sessions, token_hash, totp, Viewer};
use crate::db::entities::{passkey, recovery_code, second_factor_challenge, totp_factor, user};
use crate::error::ApiError;
use crate::permissions::{check_platform, PlatformAction};
use crate::state::AppState;
use crate::use_cases::accounts::check_own_password;
use crate::use_cases::sign_in::Session;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// How long the second step of a sign-in may wait for its code.
const CHALLENGE_MINUTES: i64 = 5;
/// What a wrong code at sign-in is answered with.
pub const WRONG_CODE: &str = "the code is not right";
/// Wrong codes a sign-in may take before it must start again with the password.
const CHALLENGE_ATTEMPTS: i32 = 5;

/// What an authenticator app needs to be set up.
pub struct Enrolment {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// The `otpauth://` address, to scan as a QR code.
    pub otpauth_url: String,
}

/// Where a person's second factor stands.
#[derive(Debug, Default)]
pub struct Standing {
    pub authenticator_since: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
}

pub async fn standing(db: &impl ConnectionTrait, user_id: i32) -> Result<Standing, ApiError> {
    let Some(since) = confirmed_authenticator(db, user_id)
        .await?
        .and_then(|f| f.confirmed_at)
    else {
        return Ok(Standing::default());
    };
    let left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?;
    Ok(Standing {
        authenticator_since: Some(since),
        recovery_codes_left: left,
    })
}

async fn confirmed_authenticator(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<totp_factor::Model>, ApiError> {
    Ok(totp_factor::Entity::find()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .one(db)
        .await?)
}

/// Whether the person has an authenticator app set up.
pub async fn has_authenticator(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, ApiError> {
    Ok(confirmed_authenticator(db, user_id).await?.is_some())
}

/// Whether the person has a passkey or security key.
pub async fn has_passkey(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, ApiError> {
    Ok(super::passkeys::count(db, user_id).await? > 0)
}

/// Whether a password sign-in of this person asks for a second factor they have.
pub async fn has_second_factor(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, ApiError> {
    Ok(has_authenticator(db, user_id).await? || has_passkey(db, user_id).await?)
}

/// Whether the viewer signed in (with every factor) at most `auth.recent_sign_in_minutes` ago.
pub fn signed_in_lately(app: &AppState, viewer: &Viewer) -> bool {
    let minutes = app.settings.auth.recent_sign_in_minutes;
    let recent = Utc::now() - Duration::minutes(minutes.into());
    minutes > 0 && viewer.signed_in_at.is_some_and(|at| at >= recent)
}

pub(crate) const CHANGING_FACTORS: &str = "to change how you sign in";

/// A sensitive act goes ahead when the viewer signed in lately or gives their password now;
/// `purpose` ends the refusal's message ("to change how you sign in").
pub async fn confirm_it_is_them(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    if let Some(candidate) = password {
        check_own_password(app, viewer, client_addr, candidate, "password").await?;
        return Ok(());
    }
    if signed_in_lately(app, viewer) {
        return Ok(());
    }
    let minutes = app.settings.auth.recent_sign_in_minutes;
    Err(ApiError::Forbidden(format!(
        "you signed in more than {minutes} minutes ago: give your password again {purpose}"
    )))
}

/// Starts setting up an authenticator app: a new secret, kept sealed until a code from it
/// confirms it. Starting again replaces a secret not yet confirmed.
pub async fn start_authenticator(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<Enrolment, ApiError> {
    confirm_it_is_them(app, viewer, password, client_addr, CHANGING_FACTORS).await?;
    let already = || {
        ApiError::Conflict(
            "an authenticator app is already set up; turn it off before setting up another".into(),
        )
    };
    if confirmed_authenticator(&app.db, viewer.id).await?.is_some() {
        return Err(already());
    }
    write_pending(app, viewer.id, &viewer.email)
        .await?
        .ok_or_else(already)
}

/// A new secret for `user_id`, kept sealed and unconfirmed; `None` when an app is already
/// confirmed, which is never replaced.
async fn write_pending(
    app: &AppState,
    user_id: i32,
    email: &str,
) -> Result<Option<Enrolment>, ApiError> {
    let secret = totp::new_secret();
    let row = totp_factor::ActiveModel {
        user_id: Set(user_id),
        secret_sealed: Set(app.keys.authenticators.seal(user_id, &secret)?),
        created_at: Set(Utc::now()),
        confirmed_at: Set(None),
        last_step: Set(None),
        ..Default::default()
    };
    // One statement, so two starts at once cannot both insert, and a confirmed secret is
    // never replaced.
    let written = totp_factor::Entity::insert(row)
        .on_conflict(
            OnConflict::column(totp_factor::Column::UserId)
                .update_columns([
                    totp_factor::Column::SecretSealed,
                    totp_factor::Column::CreatedAt,
                    totp_factor::Column::LastStep,
                ])
                .action_and_where(
                    Expr::col((totp_factor::Entity, totp_factor::Column::ConfirmedAt)).is_null(),
                )
                .to_owned(),
        )
        .exec_without_returning(&app.db)
        .await?;
    if written == 0 {
        return Ok(None);
    }
    let (secret, otpauth_url) = totp::enrolment(&secret, email);
    Ok(Some(Enrolment {
        secret,
        otpauth_url,
    }))
}

/// The authenticator being set up, if one is: shown again until a code confirms it.
pub async fn pending_enrolment(
    app: &AppState,
    viewer: &Viewer,
) -> Result<Option<Enrolment>, ApiError> {
    pending_enrolment_of(app, viewer.id, &viewer.email).await
}

async fn pending_enrolment_of(
    app: &AppState,
    user_id: i32,
    email: &str,
) -> Result<Option<Enrolment>, ApiError> {
    let pending = totp_factor::Entity::find()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_null())
        .one(&app.db)
        .await?;
    let Some(pending) = pending else {
        return Ok(None);
    };
    let (secret, otpauth_url) = totp::enrolment(&open_secret(app, &pending)?, email);
    Ok(Some(Enrolment {
        secret,
        otpauth_url,
    }))
}

/// Confirms the authenticator being set up with a code from it, turns the second factor on,
/// and answers with ten new recovery codes (shown once). Every other session ends.
pub async fn confirm_authenticator(
    app: &AppState,
    viewer: &Viewer,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let pending = totp_factor::Entity::find()
        .filter(totp_factor::Column::UserId.eq(viewer.id))
        .one(&app.db)
        .await?;
    match pending {
        Some(p) if p.confirmed_at.is_none() => {}
        Some(_) => {
            return Err(ApiError::Conflict(
                "an authenticator app is already set up".into(),
            ))
        }
        None => {
            return Err(ApiError::Conflict(
                "start setting up an authenticator app first".into(),
            ))
        }
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    if confirm_pending(app, &txn, viewer.id, code, now)
        .await?
        .is_none()
    {
        return Err(ApiError::validation(
            "code",
            "that code is not right: enter the six digits your app shows now",
        ));
    }
    let codes = replace_recovery_codes(&txn, viewer.id, now).await?;
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    record(&txn, viewer.id, "second_factor.authenticator_added", now).await?;
    txn.commit().await?;
    tell_of_change(app, &viewer.email, "An authenticator app was set up");
    Ok(codes)
}

/// Turns the second factor off: the authenticator and the recovery codes are removed, and every
/// other session ends.
pub async fn turn_off(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<(), ApiError> {
    if app
        .settings
        .auth
        .second_factor_required(viewer.role.as_str())
    {
        return Err(ApiError::Forbidden(
            "two-step sign-in is required for your role, so it cannot be turned off".into(),
        ));
    }
    confirm_it_is_them(app, viewer, password, client_addr, CHANGING_FACTORS).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let removed = totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(viewer.id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::NotFound("no authenticator app is set up".into()));
    }
    if !has_passkey(&txn, viewer.id).await? {
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(viewer.id))
            .exec(&txn)
            .await?;
    }
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    record(&txn, viewer.id, "second_factor.authenticator_removed", now).await?;
    txn.commit().await?;
    tell_of_change(app, &viewer.email, "Your authenticator app was removed");
    Ok(())
}

/// An admin removes someone's authenticator app and recovery codes, for a person who lost
/// both: every session of theirs ends, and they sign in with the password alone, or set up a
/// new app at their next sign-in when their role requires one. Needs the admin's recent
/// sign-in or password, like the person's own change; one's own app is changed in settings.
pub async fn reset_for(
    app: &AppState,
    viewer: &Viewer,
    user_id: i32,
    password: Option<String>,
    client_addr: &str,
) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    if user_id == viewer.id {
        return Err(ApiError::Forbidden(
            "change your own two-step sign-in in your settings".into(),
        ));
    }
    confirm_it_is_them(app, viewer, password, client_addr, CHANGING_FACTORS).await?;
    let person = user::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let removed = totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(person.id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .exec(&txn)
        .await?;
    let keys = passkey::Entity::delete_many()
        .filter(passkey::Column::UserId.eq(person.id))
        .exec(&txn)
        .await?;
    if removed.rows_affected + keys.rows_affected == 0 {
        return Err(ApiError::NotFound(
            "this person has no authenticator app or passkey set up".into(),
        ));
    }
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(person.id))
        .exec(&txn)
        .await?;
    sessions::revoke_all(&txn, person.id, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "second_factor.reset",
            target_type: "user",
            target_id: Some(person.id),
            detail: serde_json::json!({ "email": person.email }),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    crate::use_cases::password_reset::send_notice(
        app,
        &person.email,
        "OFFICIAL: How you sign in to Roundtable has changed",
        format!(
            "A Roundtable administrator removed the authenticator app from your account, \
             and every device signed in to it was signed out.\n\n\
             If you asked for this, sign in with your password at {0}/login; if two-step \
             sign-in is required for you, you will set up your app again then.\n\n\
             If you did not, choose a new password at once at {0}/password/forgot and tell \
             your Roundtable administrator.\n",
            app.settings.public_url()
        ),
    );
    Ok(())
}

/// Starts the second step of a sign-in whose password was right: the token that carries it
/// to the code. No session exists yet. With `sets_up`, the person first sets up an app
/// (`setup_at_sign_in`), whose first code then finishes the sign-in.
pub async fn challenge(
    db: &impl ConnectionTrait,
    user_id: i32,
    sets_up: bool,
) -> Result<String, ApiError> {
    let token = random_token();
    let now = Utc::now();
    second_factor_challenge::Entity::delete_many()
        .filter(second_factor_challenge::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    second_factor_challenge::Entity::insert(second_factor_challenge::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(CHALLENGE_MINUTES)),
        failed_attempts: Set(0),
        sets_up: Set(sets_up),
        used_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// A live second step and its enabled person, or the answer that the sign-in has expired.
pub(crate) async fn live_challenge(
    app: &AppState,
    challenge_token: &str,
    now: DateTime<Utc>,
) -> Result<(second_factor_challenge::Model, user::Model), ApiError> {
    let pending = second_factor_challenge::Entity::find()
        .filter(second_factor_challenge::Column::TokenHash.eq(token_hash(challenge_token)))
        .one(&app.db)
        .await?
        .filter(|c| {
            c.used_at.is_none() && c.expires_at > now && c.failed_attempts < CHALLENGE_ATTEMPTS
        })
        .ok_or_else(expired)?;
    let person = user::Entity::find_by_id(pending.user_id)
        .one(&app.db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(expired)?;
    Ok((pending, person))
}

fn expired() -> ApiError {
    ApiError::Unauthenticated("this sign-in has expired; sign in again".into())
}

/// For a sign-in that must first set up an app: what the app needs. Asked again, it answers
/// the same secret until a code confirms it.
pub async fn setup_at_sign_in(
    app: &AppState,
    challenge_token: &str,
) -> Result<Enrolment, ApiError> {
    let (pending, person) = live_challenge(app, challenge_token, Utc::now()).await?;
    if !pending.sets_up {
        return Err(ApiError::Conflict(
            "this sign-in asks for a code from the app already set up".into(),
        ));
    }
    if let Some(enrolment) = pending_enrolment_of(app, person.id, &person.email).await? {
        return Ok(enrolment);
    }
    write_pending(app, person.id, &person.email)
        .await?
        .ok_or_else(|| ApiError::Conflict("an authenticator app is already set up".into()))
}

/// A finished sign-in, and the recovery codes when it set up the app (shown once).
pub struct Finished {
    pub session: Session,
    pub recovery_codes: Option<Vec<String>>,
}

/// Finishes a sign-in with the code from the authenticator app, or a recovery code; for a
/// sign-in that set up its app, with the app's first code. A wrong code counts as a failed
/// sign-in (throttled like a wrong password); after a few, the sign-in must start again. A
/// code is accepted once only.
pub async fn finish_sign_in(
    app: &AppState,
    challenge_token: &str,
    code: &str,
    client_addr: &str,
) -> Result<Finished, ApiError> {
    let now = Utc::now();
    let (pending, person) = live_challenge(app, challenge_token, now).await?;
    let attempt = Attempt::counted(app, &person, client_addr, now).await?;
    let txn = crate::db::begin_write(&app.db).await?;
    let accepted = if pending.sets_up {
        confirm_pending(app, &txn, person.id, code, now).await?
    } else {
        accept_code(app, &txn, person.id, code, now).await?
    };
    let Some(used) = accepted else {
        attempt.failed(txn, &pending).await?;
        return Err(ApiError::Unauthenticated(WRONG_CODE.into()));
    };
    complete_sign_in(app, txn, &pending, &person, used, attempt).await
}

/// An attempt at a sign-in's second step, counted by the password throttle before it is
/// checked (a wrong code counts as a failed sign-in).
pub(crate) struct Attempt<'a> {
    account_key: String,
    client_addr: &'a str,
    user_id: i32,
    now: DateTime<Utc>,
}

impl<'a> Attempt<'a> {
    pub(crate) async fn counted(
        app: &AppState,
        person: &user::Model,
        client_addr: &'a str,
        now: DateTime<Utc>,
    ) -> Result<Attempt<'a>, ApiError> {
        let account_key = person.email.to_lowercase();
        let throttle = &app.login_throttle;
        if let Some(retry_after_secs) =
            login_throttle::wait_before_attempt(&app.db, throttle, &account_key, client_addr, now)
                .await?
        {
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
        login_throttle::count_attempt(&app.db, throttle, &account_key, client_addr, now).await?;
        Ok(Attempt {
            account_key,
            client_addr,
            user_id: person.id,
            now,
        })
    }

    /// Records the failure: the second step takes one more wrong answer, and it is audited.
    pub(crate) async fn failed(
        self,
        txn: sea_orm::DatabaseTransaction,
        pending: &second_factor_challenge::Model,
    ) -> Result<(), ApiError> {
        second_factor_challenge::Entity::update_many()
            .col_expr(
                second_factor_challenge::Column::FailedAttempts,
                Expr::col(second_factor_challenge::Column::FailedAttempts).add(1),
            )
            .filter(second_factor_challenge::Column::Id.eq(pending.id))
            .exec(&txn)
            .await?;
        let (key, addr) = (&self.account_key, self.client_addr);
        login_throttle::audit_failure(&txn, key, addr, Some(self.user_id), self.now).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Spends the second step and starts the session, in `txn` with what accepted the answer.
pub(crate) async fn complete_sign_in(
    app: &AppState,
    txn: sea_orm::DatabaseTransaction,
    pending: &second_factor_challenge::Model,
    person: &user::Model,
    used: CodeUsed,
    attempt: Attempt<'_>,
) -> Result<Finished, ApiError> {
    let now = attempt.now;
    let spent = second_factor_challenge::Entity::update_many()
        .col_expr(second_factor_challenge::Column::UsedAt, Expr::value(now))
        .filter(second_factor_challenge::Column::Id.eq(pending.id))
        .filter(second_factor_challenge::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(expired());
    }
    let recovery_codes = if pending.sets_up {
        record(&txn, person.id, "second_factor.authenticator_added", now).await?;
        Some(replace_recovery_codes(&txn, person.id, now).await?)
    } else {
        None
    };
    if used == CodeUsed::Recovery {
        record(&txn, person.id, "second_factor.recovery_code_used", now).await?;
    }
    let session =
        sessions::start(&txn, person.id, app.settings.auth.refresh_token_days, now).await?;
    txn.commit().await?;
    login_throttle::record_success(&app.db, &attempt.account_key, attempt.client_addr).await?;
    if used == CodeUsed::Recovery {
        tell_of_change(app, &person.email, "A recovery code was used to sign in");
    }
    if pending.sets_up {
        tell_of_change(app, &person.email, "An authenticator app was set up");
    }
    Ok(Finished {
        session: Session::issue(app, person.id, session)?,
        recovery_codes,
    })
}

/// Confirms `user_id`'s app being set up with its code `typed`, marking the code's step used,
/// in one conditional statement; `None` when the code is not right or nothing is being set up.
async fn confirm_pending(
    app: &AppState,
    db: &impl ConnectionTrait,
    user_id: i32,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Option<CodeUsed>, ApiError> {
    let pending = totp_factor::Entity::find()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_null())
        .one(db)
        .await?;
    let Some(pending) = pending else {
        return Ok(None);
    };
    let secret = open_secret(app, &pending)?;
    let Some(step) = totp::matching_step(&secret, &totp::normalise_code(typed), unix(now), None)
    else {
        return Ok(None);
    };
    let confirmed = totp_factor::Entity::update_many()
        .col_expr(totp_factor::Column::ConfirmedAt, Expr::value(now))
        .col_expr(totp_factor::Column::LastStep, Expr::value(step_value(step)))
        .filter(totp_factor::Column::Id.eq(pending.id))
        .filter(totp_factor::Column::SecretSealed.eq(pending.secret_sealed))
        .filter(totp_factor::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    Ok((confirmed.rows_affected == 1).then_some(CodeUsed::Authenticator))
}

/// What answered a sign-in's second step.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodeUsed {
    Authenticator,
    Recovery,
    Passkey,
}

/// Takes `code` for `user_id` if it is right and has not been used: six digits are a code from
/// the authenticator, anything else a recovery code. The code is marked used in `db`, in one
/// conditional statement, so two requests with the same code cannot both succeed.
async fn accept_code(
    app: &AppState,
    db: &impl ConnectionTrait,
    user_id: i32,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Option<CodeUsed>, ApiError> {
    let code = totp::normalise_code(typed);
    if code.len() == totp::DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        let Some(factor) = confirmed_authenticator(db, user_id).await? else {
            return Ok(None);
        };
        let secret = open_secret(app, &factor)?;
        let last = factor.last_step.and_then(|s| u64::try_from(s).ok());
        let Some(step) = totp::matching_step(&secret, &code, unix(now), last) else {
            return Ok(None);
        };
        let step = step_value(step);
        let taken = totp_factor::Entity::update_many()
            .col_expr(totp_factor::Column::LastStep, Expr::value(step))
            .filter(totp_factor::Column::Id.eq(factor.id))
            .filter(
                totp_factor::Column::LastStep
                    .is_null()
                    .or(totp_factor::Column::LastStep.lt(step)),
            )
            .exec(db)
            .await?;
        return Ok((taken.rows_affected == 1).then_some(CodeUsed::Authenticator));
    }
    let recovery = totp::normalise_recovery_code(typed);
    if recovery.is_empty() || recovery.len() > 64 {
        return Ok(None);
    }
    let taken = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(token_hash(&recovery)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok((taken.rows_affected == 1).then_some(CodeUsed::Recovery))
}

fn open_secret(app: &AppState, factor: &totp_factor::Model) -> Result<Vec<u8>, ApiError> {
    app.keys
        .authenticators
        .open(factor.user_id, &factor.secret_sealed)
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "the authenticator secret of user {} does not open with this server's key",
                factor.user_id
            ))
        })
}

pub(crate) async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes: Vec<String> = (0..totp::RECOVERY_CODES)
        .map(|_| totp::new_recovery_code())
        .collect();
    recovery_code::Entity::insert_many(codes.iter().map(|code| recovery_code::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(token_hash(&totp::normalise_recovery_code(code))),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(codes)
}

pub(crate) async fn record(
    db: &impl ConnectionTrait,
    user_id: i32,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(user_id),
            action,
            target_type: "user",
            target_id: Some(user_id),
            detail: serde_json::json!({}),
        },
        now,
    )
    .await?;
    Ok(())
}

pub(crate) fn tell_of_change(app: &AppState, email: &str, what: &str) {
    crate::use_cases::password_reset::send_notice(
        app,
        email,
        "OFFICIAL: How you sign in to Roundtable has changed",
        format!(
            "{what} on your Roundtable account, and every other device signed in to it was \
             signed out.\n\n\
             If you did this, there is nothing more to do.\n\n\
             If you did not, choose a new password at once at {}/password/forgot and tell \
             your Roundtable administrator.\n",
            app.settings.public_url()
        ),
    );
}

fn unix(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}
