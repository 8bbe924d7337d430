//! Signing in with one's organisation's own account (OpenID Connect; Entra ID for most
//! forces), shared by the pages and the API. The address typed selects the organisation by its
//! allowed domain, and so its provider (home-realm discovery). An identity is the provider's
//! (issuer, subject), for Entra ID (tid, oid), and never an email address: a sign-in whose
//! address matches an existing account does not get that account. Linking an identity to an
//! account happens only from its settings, after a password and second-factor sign-in.
use crate::accounts::{self, NewUser};
use crate::audit::{self, AuditEntry};
use crate::auth::{random_token, sessions, token_hash, Viewer};
use crate::db::entities::{
    identity, identity_provider, organisation, registration, sign_in_flow, user,
};
use crate::domain::{Email, OrgKind, Role};
use crate::error::ApiError;
use crate::oidc::{OidcError, ProviderConfig, Verified};
use crate::state::AppState;
use crate::use_cases::second_factor;
use crate::use_cases::sign_in::Session;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// How long the provider has to send the person back.
pub const FLOW_MINUTES: i64 = 10;
/// Where providers send people back; registered with each provider.
pub const CALLBACK_PATH: &str = "/login/organisation/callback";

/// What ties a flow to the browser that began it: the pre-session cookie for a sign-in, the
/// session for linking.
pub struct Browser<'a> {
    pub pre_session: Option<&'a str>,
    pub session_id: Option<&'a str>,
}

fn browser_hash(kind: &str, value: &str) -> String {
    token_hash(&format!("{kind}:{value}"))
}

/// The address to send the person to: their organisation's provider, found by the domain of
/// the address they typed. 422 when that domain's organisation has none.
pub async fn begin_sign_in(
    app: &AppState,
    email: &str,
    pre_session: &str,
    next: &str,
) -> Result<url::Url, ApiError> {
    let email = Email::parse(email).map_err(|e| ApiError::validation("email", e.0))?;
    let address = email.to_string();
    let provider = match accounts::organisation_of_address(&app.db, &address).await? {
        Some(org) => provider_of(&app.db, org.id).await?,
        None => None,
    };
    let provider = provider.ok_or_else(|| {
        ApiError::validation(
            "email",
            "your organisation does not sign in to Roundtable with its own accounts: \
             sign in with your password",
        )
    })?;
    let flow = Flow {
        browser_hash: browser_hash("pre-session", pre_session),
        purpose: "sign_in",
        user_id: None,
        next,
    };
    begin(app, &provider, flow, Some(&address), false).await
}

/// Starts linking the viewer's organisation account to their Roundtable account. Needs a
/// second factor on the account (linking then rests on two factors), and a recent sign-in or
/// the password again.
pub async fn begin_link(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<url::Url, ApiError> {
    let provider = provider_of(&app.db, viewer.organisation_id)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(
                "your organisation has no sign-in service registered with Roundtable".into(),
            )
        })?;
    if !second_factor::has_second_factor(&app.db, viewer.id).await? {
        return Err(ApiError::Conflict(
            "turn on two-step sign-in first: an organisation account is linked only to an \
             account that signs in with two factors"
                .into(),
        ));
    }
    second_factor::confirm_it_is_them(
        app,
        viewer,
        password,
        client_addr,
        "to link your organisation account",
    )
    .await?;
    let flow = Flow {
        browser_hash: browser_hash("session", &viewer.session_id),
        purpose: "link",
        user_id: Some(viewer.id),
        next: "/settings",
    };
    // The person signs in to the directory account to link, rather than whichever is signed
    // in already in this browser.
    begin(app, &provider, flow, Some(&viewer.email), true).await
}

struct Flow<'a> {
    browser_hash: String,
    purpose: &'static str,
    user_id: Option<i32>,
    next: &'a str,
}

async fn begin(
    app: &AppState,
    provider: &identity_provider::Model,
    flow: Flow<'_>,
    login_hint: Option<&str>,
    sign_in_again: bool,
) -> Result<url::Url, ApiError> {
    let secret = client_secret(app, provider)?;
    let config = config(provider, &secret);
    let begun = app
        .oidc
        .begin(&config, &redirect_uri(app), login_hint, sign_in_again)
        .await
        .map_err(|e| {
            tracing::warn!(provider = provider.id, error = %e, "starting a single sign-on failed");
            shown(&e)
        })?;
    let now = Utc::now();
    sign_in_flow::Entity::delete_many()
        .filter(sign_in_flow::Column::ExpiresAt.lt(now))
        .exec(&app.db)
        .await?;
    sign_in_flow::ActiveModel {
        state_hash: Set(token_hash(&begun.state)),
        provider_id: Set(provider.id),
        browser_hash: Set(flow.browser_hash),
        purpose: Set(flow.purpose.into()),
        user_id: Set(flow.user_id),
        nonce: Set(begun.nonce),
        pkce_verifier: Set(begun.pkce_verifier),
        next_path: Set(flow.next.chars().take(2000).collect()),
        expires_at: Set(now + Duration::minutes(FLOW_MINUTES)),
    }
    .insert(&app.db)
    .await?;
    Ok(begun.url)
}

/// What the provider sent back to the callback.
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    /// The provider's `error` (the person cancelled, or it refused).
    pub error: Option<&'a str>,
}

/// Where a provider's answer led.
pub enum Outcome {
    SignedIn {
        session: Session,
        next: String,
    },
    /// The identity now signs in to the viewer's account.
    Linked,
    /// Nobody here has this identity: a request for an account went to the organisation's
    /// sponsors (or was already waiting).
    RequestWaiting,
}

/// Finishes a sign-in or link the provider sent back. The flow is taken once: a replayed or
/// made-up `state`, one from another browser, or an expired one is refused (401) before the
/// provider is asked anything.
pub async fn finish(
    app: &AppState,
    callback: Callback<'_>,
    browser: Browser<'_>,
    viewer: Option<&Viewer>,
) -> Result<Outcome, ApiError> {
    let flow = take_flow(&app.db, callback.state, &browser).await?;
    if let Some(error) = callback.error {
        return Err(ApiError::Unauthenticated(format!(
            "your organisation's sign-in service did not sign you in ({})",
            error.chars().take(80).collect::<String>()
        )));
    }
    let code = callback
        .code
        .ok_or_else(|| ApiError::Unauthenticated("the sign-in came back without a code".into()))?;
    let provider = identity_provider::Entity::find_by_id(flow.provider_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| {
            ApiError::Unauthenticated("that organisation's sign-in service has been removed".into())
        })?;
    let secret = client_secret(app, &provider)?;
    let answered = app
        .oidc
        .finish(
            &config(&provider, &secret),
            &redirect_uri(app),
            code,
            &flow.nonce,
            &flow.pkce_verifier,
        )
        .await;
    let checked = match answered {
        Err(e) => Err((e.to_string(), shown(&e))),
        Ok(verified) => match admissible(&provider, &verified) {
            Ok(()) => Ok(verified),
            Err(why) => Err((why.to_string(), ApiError::Unauthenticated(why.into()))),
        },
    };
    let verified = match checked {
        Ok(v) => v,
        Err((detail, refused)) => {
            tracing::warn!(provider = provider.id, %detail, "a single sign-on was refused");
            audit_refusal(app, &provider, &detail).await?;
            return Err(refused);
        }
    };
    match flow.purpose.as_str() {
        "link" => {
            let owner = flow
                .user_id
                .filter(|id| viewer.is_some_and(|v| v.id == *id));
            let viewer = viewer
                .filter(|_| owner.is_some())
                .ok_or_else(|| ApiError::Unauthenticated("sign in again to link".into()))?;
            link(app, viewer, &provider, &verified).await?;
            Ok(Outcome::Linked)
        }
        "sign_in" => sign_in_or_ask(app, &provider, &verified, flow.next_path).await,
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "a sign-in flow with an unknown purpose {other:?}"
        ))),
    }
}

/// The flow `state` names, removed so it cannot be used again; refused unless this browser
/// began it and it has not expired.
async fn take_flow(
    db: &impl ConnectionTrait,
    state: Option<&str>,
    browser: &Browser<'_>,
) -> Result<sign_in_flow::Model, ApiError> {
    let refused = || {
        ApiError::Unauthenticated(
            "this sign-in link is not valid here: it was used already, has expired, or was \
             begun in another browser. Start again from the sign-in page."
                .into(),
        )
    };
    let key = token_hash(state.ok_or_else(refused)?);
    let flow = sign_in_flow::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let taken = sign_in_flow::Entity::delete_many()
        .filter(sign_in_flow::Column::StateHash.eq(key))
        .exec(db)
        .await?;
    let ours = match flow.purpose.as_str() {
        "link" => browser.session_id.map(|s| browser_hash("session", s)),
        _ => browser.pre_session.map(|s| browser_hash("pre-session", s)),
    };
    if taken.rows_affected != 1
        || ours.as_deref() != Some(flow.browser_hash.as_str())
        || flow.expires_at < Utc::now()
    {
        return Err(refused());
    }
    Ok(flow)
}

/// Refuses guests of the directory (whose home provider, `idp`, is not its issuer), and for
/// Entra ID a token from another directory or without the person's `oid`.
pub fn admissible(
    provider: &identity_provider::Model,
    verified: &Verified,
) -> Result<(), &'static str> {
    if verified.directory.is_guest_of(&verified.issuer) {
        return Err("guest accounts from another organisation cannot sign in here");
    }
    if verified.subject.len() > 255 || verified.issuer.len() > 500 {
        return Err("the sign-in named you in a way Roundtable cannot keep (over-long subject)");
    }
    if let Some(tenant) = &provider.tenant_id {
        if verified.directory.tid.as_deref() != Some(tenant.as_str()) {
            return Err("the sign-in came from another organisation's directory");
        }
        let oid = verified.directory.oid.as_deref().unwrap_or("");
        if oid.is_empty() || oid.len() > 64 {
            return Err("the sign-in did not say who you are in your directory (oid)");
        }
    }
    Ok(())
}

/// What the person is told when the provider's answer fails: the detail goes to the audit
/// log and the server's log, not to the page.
fn shown(e: &OidcError) -> ApiError {
    match e {
        OidcError::Unreachable(_) => ApiError::Upstream(
            "your organisation's sign-in service could not be reached just now; try again in \
             a few minutes, or sign in with your password"
                .into(),
        ),
        OidcError::Refused(_) | OidcError::Rejected(_) => ApiError::Unauthenticated(
            "your organisation's sign-in could not be verified. Start again from the sign-in \
             page; if it happens again, tell your IT team"
                .into(),
        ),
    }
}

async fn audit_refusal(
    app: &AppState,
    provider: &identity_provider::Model,
    detail: &str,
) -> Result<(), ApiError> {
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: None,
            action: "sso.refused",
            target_type: "identity_provider",
            target_id: Some(provider.id),
            detail: serde_json::json!({"reason": detail.chars().take(1000).collect::<String>()}),
        },
        Utc::now(),
    )
    .await?;
    Ok(())
}

/// The identity the verified token names, found as the provider names people for good.
async fn find_identity(
    db: &impl ConnectionTrait,
    provider: &identity_provider::Model,
    verified: &Verified,
) -> Result<Option<identity::Model>, sea_orm::DbErr> {
    let query = identity::Entity::find();
    let query = match (&provider.tenant_id, &verified.directory.oid) {
        (Some(tenant), Some(oid)) => query
            .filter(identity::Column::Issuer.eq(verified.issuer.as_str()))
            .filter(identity::Column::TenantId.eq(tenant.as_str()))
            .filter(identity::Column::ObjectId.eq(oid.as_str())),
        _ => query
            .filter(identity::Column::Issuer.eq(verified.issuer.as_str()))
            .filter(identity::Column::Subject.eq(verified.subject.as_str())),
    };
    query.one(db).await
}

fn new_identity(
    provider: &identity_provider::Model,
    verified: &Verified,
    now: DateTime<Utc>,
) -> identity::ActiveModel {
    let entra = provider.tenant_id.is_some();
    identity::ActiveModel {
        provider_id: Set(provider.id),
        issuer: Set(verified.issuer.clone()),
        subject: Set(verified.subject.clone()),
        tenant_id: Set(entra.then(|| verified.directory.tid.clone()).flatten()),
        object_id: Set(entra.then(|| verified.directory.oid.clone()).flatten()),
        created_at: Set(now),
        last_used_at: Set(Some(now)),
        ..Default::default()
    }
}

async fn sign_in_or_ask(
    app: &AppState,
    provider: &identity_provider::Model,
    verified: &Verified,
    next: String,
) -> Result<Outcome, ApiError> {
    let now = Utc::now();
    let known = find_identity(&app.db, provider, verified).await?;
    if let Some(known) = known {
        let Some(user_id) = known.user_id else {
            return Ok(Outcome::RequestWaiting);
        };
        let live = user::Entity::find_by_id(user_id)
            .one(&app.db)
            .await?
            .filter(|u| !u.disabled && u.anonymised_at.is_none())
            .ok_or_else(|| {
                ApiError::Unauthenticated("this account cannot sign in at the moment".into())
            })?;
        identity::Entity::update_many()
            .col_expr(identity::Column::LastUsedAt, Expr::value(now))
            .filter(identity::Column::Id.eq(known.id))
            .exec(&app.db)
            .await?;
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: Some(live.id),
                action: "user.sign_in_sso",
                target_type: "user",
                target_id: Some(live.id),
                detail: serde_json::json!({"identity_id": known.id, "issuer": known.issuer}),
            },
            now,
        )
        .await?;
        return start_session(app, live.id, next).await;
    }
    admit(app, provider, verified, next, now).await
}

async fn start_session(app: &AppState, user_id: i32, next: String) -> Result<Outcome, ApiError> {
    let refresh_days = app.settings.auth.refresh_token_days;
    let session = sessions::start(&app.db, user_id, refresh_days, Utc::now()).await?;
    Ok(Outcome::SignedIn {
        session: Session::issue(app, user_id, session)?,
        next,
    })
}

/// Someone from a known organisation whom nobody here knows: an account at once when the
/// organisation chose automatic admission, else a request for its sponsors (the provider has
/// proved the address, so no link is mailed). An address that already has an account is
/// refused: its owner links the identity from their settings.
async fn admit(
    app: &AppState,
    provider: &identity_provider::Model,
    verified: &Verified,
    next: String,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let email = verified
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "your organisation's sign-in service did not give your email address".into(),
            )
        })?;
    let org = organisation::Entity::find_by_id(provider.organisation_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(why) = address_refused(&app.db, &org, &email, verified.email_verified).await? {
        audit_refusal(app, provider, &format!("{why}: {email}")).await?;
        return Err(ApiError::Unauthenticated(format!(
            "{why}. Ask your Roundtable administrator."
        )));
    }
    let display_name = verified
        .name
        .as_deref()
        .and_then(|n| accounts::display_name(n).ok())
        .unwrap_or_else(|| email.as_ref().split('@').next().unwrap_or("").to_string());
    let txn = crate::db::begin_write(&app.db).await?;
    if find_identity(&txn, provider, verified).await?.is_some() {
        return Err(ApiError::Conflict(
            "you signed in twice at once: go back to the sign-in page and try again".into(),
        ));
    }
    if accounts::find_user(&txn, &email).await?.is_some() {
        drop(txn);
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: None,
                action: "sso.address_in_use",
                target_type: "identity_provider",
                target_id: Some(provider.id),
                detail: serde_json::json!({"email": email.to_string()}),
            },
            now,
        )
        .await?;
        return Err(ApiError::Conflict(
            "an account with your email address already exists. Sign in with your password, \
             then link your organisation account in Settings."
                .into(),
        ));
    }
    let mut identity = new_identity(provider, verified, now);
    if provider.auto_admit {
        let role = match org.kind.parse::<OrgKind>() {
            Ok(OrgKind::Supplier) => Role::Supplier,
            _ => Role::Staff,
        };
        let added = accounts::add_user(
            &txn,
            NewUser {
                email: &email,
                display_name: &display_name,
                role,
                organisation_id: org.id,
                job_title: "",
                password: None,
            },
            now,
        )
        .await?;
        identity.user_id = Set(Some(added.id));
        identity.insert(&txn).await.map_err(duplicate_is_conflict)?;
        let detail =
            serde_json::json!({"email": email.to_string(), "via": "sso", "role": role.as_str()});
        audit::record(&txn, admitted(added.id, detail), now).await?;
        txn.commit().await?;
        return start_session(app, added.id, next).await;
    }
    let request = registration::ActiveModel {
        email: Set(email.to_string()),
        display_name: Set(display_name),
        job_title: Set(String::new()),
        organisation_id: Set(org.id),
        token_hash: Set(token_hash(&random_token())),
        status: Set("pending".into()),
        created_at: Set(now),
        expires_at: Set(now),
        verified_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    identity.registration_id = Set(Some(request.id));
    identity.insert(&txn).await.map_err(duplicate_is_conflict)?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: None,
            action: "registration.request",
            target_type: "registration",
            target_id: Some(request.id),
            detail: serde_json::json!({"email": email.to_string(), "outcome": "waiting for a sponsor", "via": "sso"}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Outcome::RequestWaiting)
}

/// Why the address a provider gave cannot be a new account's at `org`: not verified, or not
/// at one of the organisation's own domains (a colleague from another organisation sharing
/// the directory, or an address a directory admin typed in).
async fn address_refused(
    db: &impl ConnectionTrait,
    org: &organisation::Model,
    email: &Email,
    verified: Option<bool>,
) -> Result<Option<String>, ApiError> {
    if verified == Some(false) {
        return Ok(Some(
            "your organisation's sign-in service says your email address is not verified".into(),
        ));
    }
    let owner = accounts::organisation_of_address(db, email.as_ref()).await?;
    if owner.map(|o| o.id) != Some(org.id) {
        return Ok(Some(format!(
            "your email address is not at one of {}'s email domains",
            org.name
        )));
    }
    Ok(None)
}

/// A second identity or account made at the same moment: 409, not a database error.
fn duplicate_is_conflict(e: sea_orm::DbErr) -> ApiError {
    if crate::db::is_unique_violation(&e) {
        ApiError::Conflict(
            "that organisation account was just registered by another sign-in: try again".into(),
        )
    } else {
        e.into()
    }
}

fn admitted(user_id: i32, detail: serde_json::Value) -> AuditEntry<'static> {
    AuditEntry {
        actor_id: Some(user_id),
        action: "user.admit",
        target_type: "user",
        target_id: Some(user_id),
        detail,
    }
}

async fn link(
    app: &AppState,
    viewer: &Viewer,
    provider: &identity_provider::Model,
    verified: &Verified,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    match find_identity(&txn, provider, verified).await? {
        Some(mine) if mine.user_id == Some(viewer.id) => return Ok(()),
        Some(_) => {
            return Err(ApiError::Conflict(
                "that organisation account already signs in to another Roundtable account or \
                 is waiting for a sponsor"
                    .into(),
            ))
        }
        None => {}
    }
    let mut identity = new_identity(provider, verified, now);
    identity.user_id = Set(Some(viewer.id));
    let identity = identity.insert(&txn).await.map_err(duplicate_is_conflict)?;
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "identity.link",
            target_type: "user",
            target_id: Some(viewer.id),
            detail: serde_json::json!({"identity_id": identity.id, "issuer": identity.issuer}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    crate::use_cases::password_reset::send_notice(
        app,
        &viewer.email,
        "OFFICIAL: Your organisation account now signs in to Roundtable",
        format!(
            "Your organisation account was linked to your Roundtable account, and your other \
             devices were signed out. You can now sign in with it at {}/login.\n\n\
             If you did not do this, unlink it in Settings and tell your Roundtable \
             administrator.\n",
            app.settings.public_url()
        ),
    );
    Ok(())
}

/// Unlinks the viewer's organisation account (a recent sign-in or the password again; other
/// devices are signed out). An account without a password keeps its identity: it would have
/// no way in.
pub async fn unlink(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<(), ApiError> {
    if !has_password(&app.db, viewer.id).await? {
        return Err(ApiError::Conflict(
            "your account has no password, so your organisation account is its only way in".into(),
        ));
    }
    second_factor::confirm_it_is_them(
        app,
        viewer,
        password,
        client_addr,
        "to unlink your organisation account",
    )
    .await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let removed = identity::Entity::delete_many()
        .filter(identity::Column::UserId.eq(viewer.id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::NotFound(
            "no organisation account is linked to yours".into(),
        ));
    }
    sessions::revoke_others(&txn, viewer.id, &viewer.session_id, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "identity.unlink",
            target_type: "user",
            target_id: Some(viewer.id),
            detail: serde_json::json!({}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The organisation sign-in linked to an account, as its settings show it.
pub struct Linked {
    pub issuer: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn linked(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<Linked>, ApiError> {
    Ok(identity::Entity::find()
        .filter(identity::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| Linked {
            issuer: i.issuer,
            created_at: i.created_at,
            last_used_at: i.last_used_at,
        })
        .collect())
}

/// Whether the account has a password (an account admitted through its organisation has none).
pub async fn has_password(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, ApiError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.password_hash.is_some()))
}

/// The organisation's provider, if it has one.
pub async fn provider_of(
    db: &impl ConnectionTrait,
    organisation_id: i32,
) -> Result<Option<identity_provider::Model>, sea_orm::DbErr> {
    identity_provider::Entity::find()
        .filter(identity_provider::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

fn redirect_uri(app: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", app.settings.public_url())
}

fn client_secret(app: &AppState, provider: &identity_provider::Model) -> Result<String, ApiError> {
    let opened = app
        .keys
        .provider_secrets
        .open_for(
            &secret_context(
                provider.organisation_id,
                &provider.issuer,
                &provider.client_id,
            ),
            &provider.client_secret_sealed,
        )
        .and_then(|bytes| String::from_utf8(bytes).ok());
    opened.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "the client secret of organisation {}'s provider does not open with this server's \
             master secret",
            provider.organisation_id
        ))
    })
}

/// What a provider's sealed client secret is bound to: a secret moved to another row, or its
/// issuer changed in the database, no longer opens.
pub fn secret_context(organisation_id: i32, issuer: &str, client_id: &str) -> String {
    format!("roundtable/idp/organisation/{organisation_id}/{issuer}/{client_id}")
}

fn config<'a>(provider: &'a identity_provider::Model, secret: &'a str) -> ProviderConfig<'a> {
    ProviderConfig {
        issuer: &provider.issuer,
        client_id: &provider.client_id,
        client_secret: secret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::DirectoryClaims;

    const ISSUER: &str =
        "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0";
    const TENANT: &str = "11111111-2222-3333-4444-555555555555";

    fn provider(tenant: Option<&str>) -> identity_provider::Model {
        identity_provider::Model {
            id: 1,
            organisation_id: 1,
            issuer: ISSUER.into(),
            client_id: "c".into(),
            client_secret_sealed: String::new(),
            tenant_id: tenant.map(str::to_string),
            auto_admit: false,
            created_at: Utc::now(),
        }
    }

    fn verified(directory: DirectoryClaims) -> Verified {
        Verified {
            issuer: ISSUER.into(),
            subject: "sub".into(),
            directory,
            email: Some("a@kent.police.uk".into()),
            email_verified: None,
            name: None,
        }
    }

    fn member() -> DirectoryClaims {
        DirectoryClaims {
            tid: Some(TENANT.into()),
            oid: Some("oid-1".into()),
            idp: None,
            acct: None,
        }
    }

    #[test]
    fn a_member_of_the_registered_tenant_is_admissible() {
        assert_eq!(
            admissible(&provider(Some(TENANT)), &verified(member())),
            Ok(())
        );
        let same_idp = DirectoryClaims {
            idp: Some(ISSUER.into()),
            acct: Some(serde_json::json!(0)),
            ..member()
        };
        assert_eq!(
            admissible(&provider(Some(TENANT)), &verified(same_idp)),
            Ok(())
        );
    }

    #[test]
    fn guests_other_tenants_and_missing_or_long_ids_are_not() {
        let p = provider(Some(TENANT));
        let cases = [
            DirectoryClaims {
                idp: Some("https://sts.windows.net/elsewhere/".into()),
                ..member()
            },
            DirectoryClaims {
                acct: Some(serde_json::json!(1)),
                ..member()
            },
            DirectoryClaims {
                acct: Some(serde_json::json!("1")),
                ..member()
            },
            DirectoryClaims {
                tid: Some("99999999-2222-3333-4444-555555555555".into()),
                ..member()
            },
            DirectoryClaims {
                tid: None,
                ..member()
            },
            DirectoryClaims {
                oid: None,
                ..member()
            },
            DirectoryClaims {
                oid: Some("x".repeat(65)),
                ..member()
            },
        ];
        for claims in cases {
            assert!(
                admissible(&p, &verified(claims.clone())).is_err(),
                "{claims:?}"
            );
        }
        let mut long = verified(member());
        long.subject = "s".repeat(256);
        assert!(admissible(&p, &long).is_err());
    }

    #[test]
    fn a_provider_without_a_tenant_needs_no_directory_claims_but_still_refuses_guests() {
        let p = provider(None);
        let plain = DirectoryClaims::default();
        assert_eq!(admissible(&p, &verified(plain)), Ok(()));
        let guest = DirectoryClaims {
            idp: Some("https://other.example".into()),
            ..DirectoryClaims::default()
        };
        assert!(admissible(&p, &verified(guest)).is_err());
    }

    #[test]
    fn a_secret_is_bound_to_organisation_issuer_and_client() {
        let a = secret_context(1, "https://a", "c");
        assert_ne!(a, secret_context(2, "https://a", "c"));
        assert_ne!(a, secret_context(1, "https://b", "c"));
        assert_ne!(a, secret_context(1, "https://a", "d"));
    }
}
