//! What admins do beyond spaces: accounts (list, change role, disable, re-enable),
//! invitations (list pending, resend, revoke), organisations, the audit log and the mail
//! queue. Every act asks the permission module first and is audited with the change.
use crate::accounts::{self, Invitation, NewInvitation};
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::{
    audit_log, invitation, mail_job, organisation, passkey, totp_factor, user,
};
use crate::domain::{Email, OrgKind, Role};
use crate::error::ApiError;
use crate::permissions::{check_platform, PlatformAction};
use crate::state::AppState;
use crate::use_cases::identity_providers;
use crate::use_cases::second_factor::confirm_it_is_them;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};

/// Whether the viewer may open the admin pages at all (before any form is shown).
pub fn may_administer(viewer: &Viewer) -> Result<(), ApiError> {
    Ok(check_platform(viewer, PlatformAction::ManageAccounts)?)
}

/// Whether the viewer may create and change spaces (before the form is shown).
pub fn may_manage_spaces(viewer: &Viewer) -> Result<(), ApiError> {
    Ok(check_platform(viewer, PlatformAction::ManageSpaces)?)
}

/// Whether the viewer may read the audit log (before a filter is checked).
pub fn may_read_audit_log(viewer: &Viewer) -> Result<(), ApiError> {
    Ok(check_platform(viewer, PlatformAction::ReadAuditLog)?)
}

pub struct Account {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub role: String,
    pub job_title: String,
    pub disabled: bool,
    /// The owner deleted the account: it is kept, wiped, only as the author of their posts.
    pub deleted: bool,
    /// How the person signs in: `None` before they have a password (an account made without
    /// one), else whether an authenticator app is asked for after it.
    pub sign_in: Option<SignInMethod>,
    /// Whether an organisation account (single sign-on) signs in to it.
    pub organisation_account: bool,
    /// Whether it has a passkey or security key as a second factor.
    pub passkey: bool,
}

/// How a person signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    PasswordAndAuthenticator,
}

pub async fn org_names(db: &impl ConnectionTrait) -> Result<HashMap<i32, String>, sea_orm::DbErr> {
    Ok(organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Every account, by organisation then name.
pub async fn accounts(app: &AppState, viewer: &Viewer) -> Result<Vec<Account>, ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let orgs = org_names(&app.db).await?;
    let with_app: HashSet<i32> = totp_factor::Entity::find()
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .all(&app.db)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect();
    let with_identity =
        crate::use_cases::identity_providers::users_with_identities(&app.db).await?;
    let with_passkey: HashSet<i32> = passkey::Entity::find()
        .select_only()
        .column(passkey::Column::UserId)
        .into_tuple::<i32>()
        .all(&app.db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<Account> = user::Entity::find()
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| Account {
            id: u.id,
            organisation: orgs.get(&u.organisation_id).cloned().unwrap_or_default(),
            name: u.display_name,
            email: u.email,
            role: u.role,
            job_title: u.job_title,
            disabled: u.disabled,
            deleted: u.anonymised_at.is_some(),
            organisation_account: with_identity.contains(&u.id),
            passkey: with_passkey.contains(&u.id),
            sign_in: u.password_hash.as_ref().map(|_| {
                if with_app.contains(&u.id) {
                    SignInMethod::PasswordAndAuthenticator
                } else {
                    SignInMethod::Password
                }
            }),
        })
        .collect();
    out.sort_by(|a, b| {
        a.organisation
            .cmp(&b.organisation)
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}

/// One account's name and email, for a page about it (admins only).
pub async fn person(
    app: &AppState,
    viewer: &Viewer,
    user_id: i32,
) -> Result<(String, String), ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let found = account(app, user_id).await?;
    Ok((found.display_name, found.email))
}

async fn account(app: &AppState, user_id: i32) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// An account its owner has not deleted: a deleted one is never used again.
async fn live_account(app: &AppState, user_id: i32) -> Result<user::Model, ApiError> {
    let found = account(app, user_id).await?;
    if found.anonymised_at.is_some() {
        return Err(ApiError::Conflict(
            "this account was deleted by its owner and cannot be used again".into(),
        ));
    }
    Ok(found)
}

fn record(
    viewer: &Viewer,
    action: &'static str,
    target: &user::Model,
    detail: serde_json::Value,
) -> AuditEntry<'static> {
    let mut detail = detail;
    detail["email"] = serde_json::Value::String(target.email.clone());
    AuditEntry {
        actor_id: Some(viewer.id),
        action,
        target_type: "user",
        target_id: Some(target.id),
        detail,
    }
}

/// Changes someone's role (not one's own: an admin cannot lock themselves out). A sensitive
/// act: it needs a recent sign-in or the admin's `password`.
pub async fn change_role(
    app: &AppState,
    viewer: &Viewer,
    user_id: i32,
    role: Role,
    password: Option<String>,
    client_addr: &str,
) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let target = live_account(app, user_id).await?;
    if target.id == viewer.id {
        return Err(ApiError::validation(
            "role",
            "you cannot change your own role",
        ));
    }
    confirm_it_is_them(
        app,
        viewer,
        password,
        client_addr,
        "to change someone's role",
    )
    .await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role.as_str()))
        .filter(user::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        record(
            viewer,
            "user.role",
            &target,
            serde_json::json!({"from": target.role, "to": role.as_str()}),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Lets a disabled account sign in again.
pub async fn enable(app: &AppState, viewer: &Viewer, user_id: i32) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let target = live_account(app, user_id).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Disabled, Expr::value(false))
        .filter(user::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        record(viewer, "user.enable", &target, serde_json::json!({})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub struct PendingInvitation {
    pub id: i32,
    pub email: String,
    pub role: String,
    pub organisation: String,
    pub expires_at: DateTime<Utc>,
}

/// Invitations not used and not expired, newest first.
pub async fn pending_invitations(
    app: &AppState,
    viewer: &Viewer,
) -> Result<Vec<PendingInvitation>, ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let orgs = org_names(&app.db).await?;
    Ok(invitation::Entity::find()
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(invitation::Column::Id)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|i| PendingInvitation {
            id: i.id,
            organisation: orgs.get(&i.organisation_id).cloned().unwrap_or_default(),
            email: i.email,
            role: i.role,
            expires_at: i.expires_at,
        })
        .collect())
}

async fn pending(app: &AppState, id: i32) -> Result<invitation::Model, ApiError> {
    invitation::Entity::find_by_id(id)
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)
}

async fn end_invitation(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    found: &invitation::Model,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::ExpiresAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(found.id))
        .exec(db)
        .await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(viewer.id),
            action,
            target_type: "invitation",
            target_id: Some(found.id),
            detail: serde_json::json!({"email": found.email}),
        },
        now,
    )
    .await
}

/// Withdraws an invitation: its link stops working at once.
pub async fn revoke_invitation(app: &AppState, viewer: &Viewer, id: i32) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let found = pending(app, id).await?;
    let txn = crate::db::begin_write(&app.db).await?;
    end_invitation(&txn, viewer, &found, "invitation.revoke", Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a new link for a pending invitation; once it is sent, the old link stops working.
pub async fn resend_invitation(
    app: &AppState,
    viewer: &Viewer,
    id: i32,
) -> Result<Invitation, ApiError> {
    check_platform(viewer, PlatformAction::ManageAccounts)?;
    let found = pending(app, id).await?;
    let email = Email::parse(&found.email)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored invitation email: {e:?}")))?;
    let role: Role = found
        .role
        .parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored invitation role: {e:?}")))?;
    let now = Utc::now();
    // The new link first: if it cannot be sent, the old one still works.
    let sent = accounts::invite(
        &app.db,
        &app.mailer,
        app.settings.public_url(),
        NewInvitation {
            email: &email,
            role,
            organisation_id: found.organisation_id,
            invited_by: Some(viewer.id),
        },
        app.settings.auth.invitation_days,
        now,
    )
    .await?;
    let txn = crate::db::begin_write(&app.db).await?;
    end_invitation(&txn, viewer, &found, "invitation.resend", now).await?;
    txn.commit().await?;
    Ok(sent)
}

pub struct OrganisationRow {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub members: u64,
    /// The email domains whose people may ask for an account here.
    pub domains: Vec<String>,
    /// Its own sign-in service's issuer, and whether it admits new people at once.
    pub provider: Option<(String, bool)>,
}

pub async fn organisations(
    app: &AppState,
    viewer: &Viewer,
) -> Result<Vec<OrganisationRow>, ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let counts: HashMap<i32, i64> = user::Entity::find()
        .select_only()
        .column(user::Column::OrganisationId)
        .column_as(user::Column::Id.count(), "n")
        .group_by(user::Column::OrganisationId)
        .into_tuple::<(i32, i64)>()
        .all(&app.db)
        .await?
        .into_iter()
        .collect();
    let mut domains = accounts::domains_by_organisation(&app.db).await?;
    let mut providers: HashMap<i32, (String, bool)> = identity_providers::all(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.organisation_id, (p.issuer, p.auto_admit)))
        .collect();
    Ok(organisation::Entity::find()
        .order_by_asc(organisation::Column::Kind)
        .order_by_asc(organisation::Column::Name)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| OrganisationRow {
            members: counts.get(&o.id).copied().unwrap_or(0).max(0) as u64,
            domains: domains.remove(&o.id).unwrap_or_default(),
            provider: providers.remove(&o.id),
            id: o.id,
            name: o.name,
            kind: o.kind,
        })
        .collect())
}

pub async fn add_organisation(
    app: &AppState,
    viewer: &Viewer,
    name: &str,
    kind: OrgKind,
) -> Result<organisation::Model, ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let created = accounts::add_organisation(&txn, name, kind, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "organisation.create",
            target_type: "organisation",
            target_id: Some(created.id),
            detail: serde_json::json!({"name": created.name, "kind": created.kind}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Registers (or replaces) an organisation's own sign-in service, after the admin's password.
pub async fn put_identity_provider(
    app: &AppState,
    viewer: &Viewer,
    organisation_id: i32,
    new: identity_providers::NewProvider,
    password: String,
    client_addr: &str,
) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::validation("organisation_id", "choose an organisation"))?;
    let purpose = "to change how an organisation signs in";
    confirm_it_is_them(app, viewer, Some(password), client_addr, purpose).await?;
    identity_providers::put(&app.db, &app.keys, &org, new, Some(viewer.id), Utc::now()).await?;
    Ok(())
}

/// Removes an organisation's own sign-in service, after the admin's password: people it
/// admitted without a password can no longer sign in.
pub async fn remove_identity_provider(
    app: &AppState,
    viewer: &Viewer,
    organisation_id: i32,
    password: String,
    client_addr: &str,
) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let purpose = "to change how an organisation signs in";
    confirm_it_is_them(app, viewer, Some(password), client_addr, purpose).await?;
    if !identity_providers::remove(&app.db, &org, Some(viewer.id), Utc::now()).await? {
        return Err(ApiError::not_found());
    }
    Ok(())
}

/// Adds an email domain to an organisation's allow-list (see `accounts::add_domain`).
pub async fn add_domain(
    app: &AppState,
    viewer: &Viewer,
    organisation_id: i32,
    domain: &str,
) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::validation("organisation_id", "choose an organisation"))?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let added = accounts::add_domain(&txn, &org, domain, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "organisation.domain_add",
            target_type: "organisation",
            target_id: Some(org.id),
            detail: serde_json::json!({"domain": added.domain}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes an email domain off its organisation's allow-list; 404 when it is on none.
pub async fn remove_domain(app: &AppState, viewer: &Viewer, domain: &str) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::ManageOrganisations)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    if !accounts::remove_domain(&txn, domain).await? {
        return Err(ApiError::not_found());
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "organisation.domain_remove",
            target_type: "organisation",
            target_id: None,
            detail: serde_json::json!({"domain": domain}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which audit entries to show.
#[derive(Default)]
pub struct AuditFilter {
    /// The actor's email address.
    pub actor: Option<String>,
    /// An action, or the start of one (`user.` for every account act).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i32>,
}

pub struct AuditRow {
    pub id: i32,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// A page of the audit log, newest first, with the id to continue from.
pub async fn audit_log(
    app: &AppState,
    viewer: &Viewer,
    filter: AuditFilter,
    limit: u64,
) -> Result<(Vec<AuditRow>, Option<i32>), ApiError> {
    check_platform(viewer, PlatformAction::ReadAuditLog)?;
    let mut query = audit_log::Entity::find();
    if let Some(email) = filter.actor.as_deref().filter(|e| !e.trim().is_empty()) {
        let actor = Email::parse(email).map_err(|e| ApiError::validation("actor", e.0))?;
        let id = accounts::find_user(&app.db, &actor).await?.map(|u| u.id);
        query = query.filter(audit_log::Column::ActorId.eq(id.unwrap_or(-1)));
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.trim().is_empty()) {
        query = query.filter(audit_log::Column::Action.starts_with(action.trim()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::Column::CreatedAt.lt(until));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit + 1)
        .all(&app.db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let actors: HashMap<i32, String> = {
        let ids: Vec<i32> = rows.iter().filter_map(|r| r.actor_id).collect();
        user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect()
    };
    Ok((
        rows.into_iter()
            .map(|r| AuditRow {
                id: r.id,
                actor: r
                    .actor_id
                    .map(|id| {
                        actors
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| format!("user {id}"))
                    })
                    .unwrap_or_else(|| "the system".into()),
                target: match r.target_id {
                    Some(id) => format!("{} {id}", r.target_type),
                    None => r.target_type.clone(),
                },
                action: r.action,
                detail: r.detail,
                at: r.created_at,
            })
            .collect(),
        next,
    ))
}

pub struct MailQueue {
    /// (status, number of jobs), for every status present.
    pub by_status: Vec<(String, u64)>,
    /// The latest jobs that failed or wait for a retry, with their error.
    pub troubled: Vec<mail_job::Model>,
}

pub async fn mail_queue(app: &AppState, viewer: &Viewer) -> Result<MailQueue, ApiError> {
    check_platform(viewer, PlatformAction::ReadMailQueue)?;
    let by_status: Vec<(String, i64)> = mail_job::Entity::find()
        .select_only()
        .column(mail_job::Column::Status)
        .column_as(mail_job::Column::Id.count(), "n")
        .group_by(mail_job::Column::Status)
        .into_tuple()
        .all(&app.db)
        .await?;
    let troubled = mail_job::Entity::find()
        .filter(mail_job::Column::LastError.is_not_null())
        .order_by_desc(mail_job::Column::UpdatedAt)
        .limit(20)
        .all(&app.db)
        .await?;
    Ok(MailQueue {
        by_status: by_status
            .into_iter()
            .map(|(s, n)| (s, n.max(0) as u64))
            .collect(),
        troubled,
    })
}
