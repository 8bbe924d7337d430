//! Passkeys and security keys (WebAuthn, with webauthn-rs) as a second factor after the
//! password: adding one from settings, listing and removing them, and answering a sign-in's
//! second step with one. Each ceremony's state stays on the server, is used once, and lasts
//! five minutes. Adding or removing one is a sensitive act, as for an authenticator app: a
//! recent sign-in or the password, and the person's other sessions end.
use crate::auth::{sessions, Viewer};
use crate::db::entities::{passkey, passkey_ceremony, recovery_code};
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::second_factor::{
    self, complete_sign_in, confirm_it_is_them, live_challenge, record, replace_recovery_codes,
    tell_of_change, Attempt, CodeUsed, Finished, CHANGING_FACTORS,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

const CEREMONY_MINUTES: i64 = 5;
/// What a refused passkey answer at sign-in is answered with.
pub const REFUSED: &str = "the passkey was not accepted; try again, or use the code from your app";
/// Passkeys one account may hold.
const MOST: u64 = 10;
const NAME_CHARS: usize = 100;

/// The relying party for `public_url`: its host is the passkeys' scope. `None` when the
/// address has no domain name (an IP address), where browsers refuse passkeys.
pub fn relying_party(public_url: &str) -> Option<Webauthn> {
    let origin = Url::parse(public_url).ok()?;
    let rp_id = origin.domain()?.to_string();
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name("Roundtable")
        .build()
        .ok()
}

fn relying(app: &AppState) -> Result<&Webauthn, ApiError> {
    app.webauthn.as_deref().ok_or_else(|| {
        ApiError::Conflict(
            "passkeys need Roundtable to be reached at a domain name (server.public_url)".into(),
        )
    })
}

/// A person's WebAuthn user handle: stable, and not their id or address.
fn user_handle(app: &AppState, user_id: i32) -> Uuid {
    use sha2::Digest;
    let scope = format!(
        "roundtable/passkeys/{}/users/{user_id}",
        app.settings.public_url()
    );
    let digest = sha2::Sha256::digest(scope.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

async fn stored(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<(passkey::Model, Passkey)>, ApiError> {
    passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let key: Passkey = serde_json::from_str(&row.credential)
                .map_err(|e| anyhow::anyhow!("passkey {} is not readable: {e}", row.id))?;
            Ok((row, key))
        })
        .collect()
}

/// Starts adding a passkey: the options for the browser's `navigator.credentials.create`.
pub async fn start_adding(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<CreationChallengeResponse, ApiError> {
    let rp = relying(app)?;
    confirm_it_is_them(app, viewer, password, client_addr, CHANGING_FACTORS).await?;
    let held = stored(&app.db, viewer.id).await?;
    if held.len() as u64 >= MOST {
        return Err(ApiError::Conflict(format!(
            "you have {MOST} passkeys already: remove one first"
        )));
    }
    let exclude = held.iter().map(|(_, k)| k.cred_id().clone()).collect();
    let (options, state) = rp
        .start_passkey_registration(
            user_handle(app, viewer.id),
            &viewer.email,
            &viewer.display_name,
            Some(exclude),
        )
        .map_err(|e| anyhow::anyhow!("starting a passkey registration: {e}"))?;
    keep_ceremony(&app.db, viewer.id, "register", None, &state).await?;
    Ok(options)
}

async fn keep_ceremony(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: &str,
    challenge_id: Option<i32>,
    state: &impl Serialize,
) -> Result<(), ApiError> {
    let now = Utc::now();
    passkey_ceremony::Entity::delete_many()
        .filter(
            passkey_ceremony::Column::ExpiresAt
                .lt(now)
                .or(passkey_ceremony::Column::UserId
                    .eq(user_id)
                    .and(passkey_ceremony::Column::Kind.eq(kind))),
        )
        .exec(db)
        .await?;
    passkey_ceremony::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.into()),
        challenge_id: Set(challenge_id),
        state: Set(serde_json::to_string(state).map_err(anyhow::Error::new)?),
        expires_at: Set(now + Duration::minutes(CEREMONY_MINUTES)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The ceremony of `kind` `user_id` began, removed so it cannot be used again.
async fn take_ceremony<T: serde::de::DeserializeOwned>(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: &str,
    challenge_id: Option<i32>,
) -> Result<Option<T>, ApiError> {
    let mut query = passkey_ceremony::Entity::find()
        .filter(passkey_ceremony::Column::UserId.eq(user_id))
        .filter(passkey_ceremony::Column::Kind.eq(kind));
    if let Some(id) = challenge_id {
        query = query.filter(passkey_ceremony::Column::ChallengeId.eq(id));
    }
    let Some(found) = query.one(db).await? else {
        return Ok(None);
    };
    let taken = passkey_ceremony::Entity::delete_by_id(found.id)
        .exec(db)
        .await?;
    if taken.rows_affected != 1 || found.expires_at < Utc::now() {
        return Ok(None);
    }
    Ok(Some(
        serde_json::from_str(&found.state).map_err(anyhow::Error::new)?,
    ))
}

/// A passkey just added, and the recovery codes when it is the account's first second factor
/// (shown once).
pub struct Added {
    pub id: i32,
    pub name: String,
    pub recovery_codes: Option<Vec<String>>,
}

/// Finishes adding a passkey with the browser's answer.
pub async fn finish_adding(
    app: &AppState,
    viewer: &Viewer,
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<Added, ApiError> {
    let rp = relying(app)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_CHARS {
        return Err(ApiError::validation(
            "name",
            format!("name the passkey in 1 to {NAME_CHARS} characters, such as \"Work laptop\""),
        ));
    }
    let state: PasskeyRegistration = take_ceremony(&app.db, viewer.id, "register", None)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict("start adding the passkey again: that attempt has ended".into())
        })?;
    let key = rp
        .finish_passkey_registration(credential, &state)
        .map_err(|e| ApiError::validation("credential", format!("the passkey was refused: {e}")))?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let first_factor = !second_factor::has_second_factor(&txn, viewer.id).await?;
    let added = passkey::ActiveModel {
        user_id: Set(viewer.id),
        name: Set(name.to_string()),
        credential_id: Set(credential_id(&key)),
        credential: Set(serde_json::to_string(&key).map_err(anyhow::Error::new)?),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let added = match added {
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(ApiError::Conflict(
                "that passkey is already registered".into(),
            ))
        }
        other => other?,
    };
    let recovery_codes = if first_factor {
        Some(replace_recovery_codes(&txn, viewer.id, now).await?)
    } else {
        None
    };
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    record(&txn, viewer.id, "second_factor.passkey_added", now).await?;
    txn.commit().await?;
    tell_of_change(
        app,
        &viewer.email,
        &format!("A passkey, \"{name}\", was added"),
    );
    Ok(Added {
        id: added.id,
        name: added.name,
        recovery_codes,
    })
}

fn credential_id(key: &Passkey) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.cred_id().as_ref())
}

/// A passkey as its owner's settings list it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasskeyView {
    pub id: i32,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn list(app: &AppState, viewer: &Viewer) -> Result<Vec<PasskeyView>, ApiError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(viewer.id))
        .order_by_asc(passkey::Column::Id)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect())
}

/// Removes one of the viewer's passkeys (404 for anyone else's). The last second factor of a
/// role that must have one stays.
pub async fn remove(
    app: &AppState,
    viewer: &Viewer,
    id: i32,
    password: Option<String>,
    client_addr: &str,
) -> Result<(), ApiError> {
    let mine = passkey::Entity::find_by_id(id)
        .filter(passkey::Column::UserId.eq(viewer.id))
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    confirm_it_is_them(app, viewer, password, client_addr, CHANGING_FACTORS).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    passkey::Entity::delete_by_id(mine.id).exec(&txn).await?;
    let left = second_factor::has_second_factor(&txn, viewer.id).await?;
    if !left {
        if app
            .settings
            .auth
            .second_factor_required(viewer.role.as_str())
        {
            return Err(ApiError::Forbidden(
                "two-step sign-in is required for your role: add another passkey or an \
                 authenticator app before removing this one"
                    .into(),
            ));
        }
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(viewer.id))
            .exec(&txn)
            .await?;
    }
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    record(&txn, viewer.id, "second_factor.passkey_removed", now).await?;
    txn.commit().await?;
    let what = format!("The passkey \"{}\" was removed", mine.name);
    tell_of_change(app, &viewer.email, &what);
    Ok(())
}

/// For a sign-in's second step: the options for `navigator.credentials.get`, over the
/// person's passkeys. Asked again, it replaces the earlier options.
pub async fn start_sign_in(
    app: &AppState,
    challenge_token: &str,
) -> Result<RequestChallengeResponse, ApiError> {
    let rp = relying(app)?;
    let (pending, person) = live_challenge(app, challenge_token, Utc::now()).await?;
    let keys: Vec<Passkey> = stored(&app.db, person.id)
        .await?
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    if pending.sets_up || keys.is_empty() {
        return Err(ApiError::Conflict(
            "this account has no passkey: use the code from your app".into(),
        ));
    }
    let (options, state) = rp
        .start_passkey_authentication(&keys)
        .map_err(|e| anyhow::anyhow!("starting a passkey sign-in: {e}"))?;
    keep_ceremony(&app.db, person.id, "sign_in", Some(pending.id), &state).await?;
    Ok(options)
}

/// Finishes a sign-in's second step with the browser's answer from a passkey. A refused
/// answer counts as a wrong code.
pub async fn finish_sign_in(
    app: &AppState,
    challenge_token: &str,
    answer: &PublicKeyCredential,
    client_addr: &str,
) -> Result<Finished, ApiError> {
    let rp = relying(app)?;
    let now = Utc::now();
    let (pending, person) = live_challenge(app, challenge_token, now).await?;
    let attempt = Attempt::counted(app, &person, client_addr, now).await?;
    let txn = crate::db::begin_write(&app.db).await?;
    let state: Option<PasskeyAuthentication> =
        take_ceremony(&txn, person.id, "sign_in", Some(pending.id)).await?;
    let verified = state.and_then(|s| rp.finish_passkey_authentication(answer, &s).ok());
    let Some(result) = verified else {
        attempt.failed(txn, &pending).await?;
        return Err(ApiError::Unauthenticated(REFUSED.into()));
    };
    for (row, mut key) in stored(&txn, person.id).await? {
        if key.update_credential(&result).is_some() {
            let mut changed: passkey::ActiveModel = row.into();
            changed.credential = Set(serde_json::to_string(&key).map_err(anyhow::Error::new)?);
            changed.last_used_at = Set(Some(now));
            changed.update(&txn).await?;
        }
    }
    complete_sign_in(app, txn, &pending, &person, CodeUsed::Passkey, attempt).await
}

/// Whether a sign-in's second step can be answered with a passkey (its account has one).
pub async fn offered_at(app: &AppState, challenge_token: &str) -> Result<bool, ApiError> {
    match live_challenge(app, challenge_token, Utc::now()).await {
        Ok((_, person)) => Ok(app.webauthn.is_some() && count(&app.db, person.id).await? > 0),
        Err(ApiError::Unauthenticated(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// How many passkeys the person has.
pub async fn count(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, ApiError> {
    Ok(passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}
