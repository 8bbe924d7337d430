//! A person's own data: everything Roundtable holds about them as one JSON document, and the
//! deletion of their account, which wipes what identifies them and keeps their posts under a
//! pseudonym ("Former member 7KQ2MX").
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::{
    audit_log, document, document_version, endorsement, identity, invitation, login_failure,
    mail_job, organisation, passkey, passkey_ceremony, password_reset, post, post_revision,
    preference, recovery_code, registration, registration_request, retired_refresh_token,
    second_factor_challenge, session, sign_in_flow, space_member, thread, thread_read,
    thread_watch, totp_factor, user,
};
use crate::error::ApiError;
use crate::forum::posts as forum_posts;
use crate::outbox::{self, Change};
use crate::state::AppState;
use crate::use_cases::accounts::check_own_password;
use crate::use_cases::second_factor::confirm_it_is_them;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, JsonValue, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

/// Everything about one person, section by section; each row has the table's own column
/// names. Secrets (password and token hashes, the sealed authenticator key, feed keys) are
/// left out: they identify nothing and would only help someone who stole the file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub exported_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub profile: JsonValue,
    #[schema(value_type = String)]
    pub organisation: String,
    #[schema(value_type = Vec<Object>)]
    pub preferences: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub authenticator_apps: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub recovery_codes: Vec<JsonValue>,
    /// Organisation accounts (single sign-on) that sign in to this one.
    #[schema(value_type = Vec<Object>)]
    pub identities: Vec<JsonValue>,
    /// Passkeys and security keys (their names and dates; the public keys stay).
    #[schema(value_type = Vec<Object>)]
    pub passkeys: Vec<JsonValue>,
    /// Each sign-in's session: when it began, was last renewed, ends or was ended.
    #[schema(value_type = Vec<Object>)]
    pub sign_ins: Vec<JsonValue>,
    /// Sign-ins whose password was right, waiting for or given the second factor.
    #[schema(value_type = Vec<Object>)]
    pub second_factor_sign_ins: Vec<JsonValue>,
    /// Wrong passwords typed for this account still counted by the throttle.
    #[schema(value_type = Vec<Object>)]
    pub failed_sign_ins: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub password_resets: Vec<JsonValue>,
    /// The audit log's entries made by this person or about their account.
    #[schema(value_type = Vec<Object>)]
    pub audit_log: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub threads: Vec<JsonValue>,
    /// Every post, deleted ones too, as written in Markdown.
    #[schema(value_type = Vec<Object>)]
    pub posts: Vec<JsonValue>,
    /// Earlier texts of their posts, and texts they replaced as a moderator.
    #[schema(value_type = Vec<Object>)]
    pub post_revisions: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub document_versions: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub endorsements: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub watches: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub reads: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub space_memberships: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub invitations_received: Vec<JsonValue>,
    #[schema(value_type = Vec<Object>)]
    pub invitations_sent: Vec<JsonValue>,
    /// Their own requests for an account.
    #[schema(value_type = Vec<Object>)]
    pub registrations: Vec<JsonValue>,
    /// Others' requests for an account they sponsored or answered.
    #[schema(value_type = Vec<Object>)]
    pub registrations_answered: Vec<JsonValue>,
    /// Mail sent or waiting to be sent to them (digests, replies, notices).
    #[schema(value_type = Vec<Object>)]
    pub mail: Vec<JsonValue>,
}

const EXPORTING: &str = "to download your data";

/// The viewer's data, after a recent sign-in or their password. Audited, and the owner is
/// told by mail, so a stolen session cannot copy it unnoticed.
pub async fn export(
    app: &AppState,
    viewer: &Viewer,
    password: Option<String>,
    client_addr: &str,
) -> Result<Export, ApiError> {
    confirm_it_is_them(app, viewer, password, client_addr, EXPORTING).await?;
    let data = gather(&app.db, viewer.id).await?;
    audit::record(
        &app.db,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "user.export",
            target_type: "user",
            target_id: Some(viewer.id),
            detail: serde_json::json!({}),
        },
        Utc::now(),
    )
    .await?;
    crate::use_cases::password_reset::send_notice(
        app,
        &viewer.email,
        "OFFICIAL: Your Roundtable data was downloaded",
        format!(
            "A copy of everything Roundtable holds about you was downloaded from your \
             account.\n\n\
             If you did this, there is nothing more to do.\n\n\
             If you did not, choose a new password at once at {}/password/forgot and tell \
             your Roundtable administrator.\n",
            app.settings.public_url()
        ),
    );
    Ok(data)
}

async fn gather(db: &impl ConnectionTrait, me: i32) -> Result<Export, ApiError> {
    let account = user::Entity::find_by_id(me)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let profile = user::Entity::find_by_id(me)
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Email,
            user::Column::DisplayName,
            user::Column::Role,
            user::Column::OrganisationId,
            user::Column::JobTitle,
            user::Column::Portfolios,
            user::Column::Disabled,
            user::Column::CreatedAt,
        ])
        .into_json()
        .one(db)
        .await?
        .unwrap_or_default();
    let organisation = organisation::Entity::find_by_id(account.organisation_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let my_posts = Query::select()
        .column(post::Column::Id)
        .from(post::Entity)
        .and_where(Expr::col(post::Column::AuthorId).eq(me))
        .to_owned();
    Ok(Export {
        exported_at: Utc::now(),
        profile,
        organisation,
        preferences: preference::Entity::find()
            .filter(preference::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        authenticator_apps: totp_factor::Entity::find()
            .select_only()
            .columns([
                totp_factor::Column::CreatedAt,
                totp_factor::Column::ConfirmedAt,
                totp_factor::Column::LastStep,
            ])
            .filter(totp_factor::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        recovery_codes: recovery_code::Entity::find()
            .select_only()
            .columns([
                recovery_code::Column::CreatedAt,
                recovery_code::Column::UsedAt,
            ])
            .filter(recovery_code::Column::UserId.eq(me))
            .order_by_asc(recovery_code::Column::Id)
            .into_json()
            .all(db)
            .await?,
        identities: identity::Entity::find()
            .select_only()
            .columns([
                identity::Column::Issuer,
                identity::Column::Subject,
                identity::Column::TenantId,
                identity::Column::ObjectId,
                identity::Column::CreatedAt,
                identity::Column::LastUsedAt,
            ])
            .filter(identity::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        passkeys: passkey::Entity::find()
            .select_only()
            .columns([
                passkey::Column::Name,
                passkey::Column::CreatedAt,
                passkey::Column::LastUsedAt,
            ])
            .filter(passkey::Column::UserId.eq(me))
            .order_by_asc(passkey::Column::Id)
            .into_json()
            .all(db)
            .await?,
        sign_ins: session::Entity::find()
            .select_only()
            .columns([
                session::Column::CreatedAt,
                session::Column::RefreshedAt,
                session::Column::ExpiresAt,
                session::Column::RevokedAt,
            ])
            .filter(session::Column::UserId.eq(me))
            .order_by_asc(session::Column::CreatedAt)
            .into_json()
            .all(db)
            .await?,
        second_factor_sign_ins: second_factor_challenge::Entity::find()
            .select_only()
            .columns([
                second_factor_challenge::Column::CreatedAt,
                second_factor_challenge::Column::ExpiresAt,
                second_factor_challenge::Column::FailedAttempts,
                second_factor_challenge::Column::SetsUp,
                second_factor_challenge::Column::UsedAt,
            ])
            .filter(second_factor_challenge::Column::UserId.eq(me))
            .order_by_asc(second_factor_challenge::Column::Id)
            .into_json()
            .all(db)
            .await?,
        failed_sign_ins: login_failure::Entity::find()
            .select_only()
            .columns([
                login_failure::Column::FailedAt,
                login_failure::Column::ClientAddr,
            ])
            .filter(login_failure::Column::Account.eq(account.email.to_lowercase()))
            .order_by_asc(login_failure::Column::Id)
            .into_json()
            .all(db)
            .await?,
        password_resets: password_reset::Entity::find()
            .select_only()
            .columns([
                password_reset::Column::CreatedAt,
                password_reset::Column::ExpiresAt,
                password_reset::Column::UsedAt,
            ])
            .filter(password_reset::Column::UserId.eq(me))
            .order_by_asc(password_reset::Column::Id)
            .into_json()
            .all(db)
            .await?,
        audit_log: audit_log::Entity::find()
            .filter(about_them(me, &account.email.to_lowercase()))
            .order_by_asc(audit_log::Column::Id)
            .into_json()
            .all(db)
            .await?,
        threads: thread::Entity::find()
            .filter(thread::Column::AuthorId.eq(me))
            .order_by_asc(thread::Column::Id)
            .into_json()
            .all(db)
            .await?,
        posts: post::Entity::find()
            .select_only()
            .columns([
                post::Column::Id,
                post::Column::ThreadId,
                post::Column::ParentId,
                post::Column::BodyMarkdown,
                post::Column::CreatedAt,
                post::Column::EditedAt,
                post::Column::DeletedAt,
                post::Column::DeletedBy,
            ])
            .filter(post::Column::AuthorId.eq(me))
            .order_by_asc(post::Column::Id)
            .into_json()
            .all(db)
            .await?,
        post_revisions: post_revision::Entity::find()
            .select_only()
            .columns([
                post_revision::Column::Id,
                post_revision::Column::PostId,
                post_revision::Column::BodyMarkdown,
                post_revision::Column::EditedBy,
                post_revision::Column::CreatedAt,
            ])
            .filter(
                Condition::any()
                    .add(post_revision::Column::EditedBy.eq(me))
                    .add(post_revision::Column::PostId.in_subquery(my_posts)),
            )
            .order_by_asc(post_revision::Column::Id)
            .into_json()
            .all(db)
            .await?,
        documents: document::Entity::find()
            .filter(document::Column::OwnerId.eq(me))
            .order_by_asc(document::Column::Id)
            .into_json()
            .all(db)
            .await?,
        document_versions: document_version::Entity::find()
            .select_only()
            .columns([
                document_version::Column::Id,
                document_version::Column::DocumentId,
                document_version::Column::Number,
                document_version::Column::Filename,
                document_version::Column::FileType,
                document_version::Column::SizeBytes,
                document_version::Column::UploadedBy,
                document_version::Column::CreatedAt,
            ])
            .filter(document_version::Column::UploadedBy.eq(me))
            .order_by_asc(document_version::Column::Id)
            .into_json()
            .all(db)
            .await?,
        endorsements: endorsement::Entity::find()
            .filter(
                Condition::any()
                    .add(endorsement::Column::OwnerId.eq(me))
                    .add(endorsement::Column::EndorsedBy.eq(me)),
            )
            .order_by_asc(endorsement::Column::Id)
            .into_json()
            .all(db)
            .await?,
        watches: thread_watch::Entity::find()
            .filter(thread_watch::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        reads: thread_read::Entity::find()
            .filter(thread_read::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        space_memberships: space_member::Entity::find()
            .filter(space_member::Column::UserId.eq(me))
            .into_json()
            .all(db)
            .await?,
        invitations_received: invitation::Entity::find()
            .select_only()
            .columns(INVITATION_COLUMNS)
            .filter(invitation::Column::Email.eq(account.email.to_lowercase()))
            .into_json()
            .all(db)
            .await?,
        invitations_sent: invitation::Entity::find()
            .select_only()
            .columns(INVITATION_COLUMNS)
            .filter(invitation::Column::InvitedBy.eq(me))
            .order_by_asc(invitation::Column::Id)
            .into_json()
            .all(db)
            .await?,
        registrations: registration::Entity::find()
            .select_only()
            .columns([
                registration::Column::Id,
                registration::Column::Email,
                registration::Column::DisplayName,
                registration::Column::JobTitle,
                registration::Column::OrganisationId,
                registration::Column::Status,
                registration::Column::CreatedAt,
                registration::Column::ExpiresAt,
                registration::Column::VerifiedAt,
                registration::Column::DecidedAt,
                registration::Column::Reason,
            ])
            .filter(registration::Column::Email.eq(account.email.to_lowercase()))
            .order_by_asc(registration::Column::Id)
            .into_json()
            .all(db)
            .await?,
        registrations_answered: registration::Entity::find()
            .select_only()
            .columns([
                registration::Column::Id,
                registration::Column::Email,
                registration::Column::DisplayName,
                registration::Column::Status,
                registration::Column::SponsoredBy,
                registration::Column::DecidedBy,
                registration::Column::DecidedAt,
                registration::Column::Reason,
            ])
            .filter(
                Condition::any()
                    .add(registration::Column::SponsoredBy.eq(me))
                    .add(registration::Column::DecidedBy.eq(me)),
            )
            .order_by_asc(registration::Column::Id)
            .into_json()
            .all(db)
            .await?,
        mail: mail_job::Entity::find()
            .select_only()
            .columns([
                mail_job::Column::Kind,
                mail_job::Column::Week,
                mail_job::Column::PostId,
                mail_job::Column::Status,
                mail_job::Column::Attempts,
                mail_job::Column::LastError,
                mail_job::Column::DueAt,
                mail_job::Column::MessageId,
                mail_job::Column::CreatedAt,
                mail_job::Column::UpdatedAt,
                mail_job::Column::SentAt,
            ])
            .filter(mail_job::Column::UserId.eq(me))
            .order_by_asc(mail_job::Column::Id)
            .into_json()
            .all(db)
            .await?,
    })
}

const INVITATION_COLUMNS: [invitation::Column; 7] = [
    invitation::Column::Email,
    invitation::Column::Role,
    invitation::Column::OrganisationId,
    invitation::Column::InvitedBy,
    invitation::Column::CreatedAt,
    invitation::Column::ExpiresAt,
    invitation::Column::UsedAt,
];

/// Audit entries whose details hold `address` as a whole JSON string value (addresses carry
/// no `"` or `\\`, so they are written unescaped).
fn detail_names(address: &str) -> SimpleExpr {
    let quoted = format!("\"{address}\"");
    let escaped = quoted
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::col(audit_log::Column::Detail).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// Audit entries made by `me`, about their account or their requests for an account, or whose
/// details name their address (failed sign-ins, invitations, requests).
fn about_them(me: i32, address: &str) -> Condition {
    let their_requests = Query::select()
        .column(registration::Column::Id)
        .from(registration::Entity)
        .and_where(Expr::col(registration::Column::Email).eq(address))
        .to_owned();
    Condition::any()
        .add(audit_log::Column::ActorId.eq(me))
        .add(
            Condition::all()
                .add(audit_log::Column::TargetType.eq("user"))
                .add(audit_log::Column::TargetId.eq(me)),
        )
        .add(
            Condition::all()
                .add(audit_log::Column::TargetType.eq("registration"))
                .add(audit_log::Column::TargetId.in_subquery(their_requests)),
        )
        .add(detail_names(address))
}

/// What the person chose when deleting their account.
pub struct Deletion {
    pub password: Option<String>,
    /// Also delete every post they wrote (otherwise the posts stay, under the pseudonym).
    pub remove_posts: bool,
}

/// The name a deleted account is shown under.
pub const FORMER_MEMBER: &str = "Former member";

/// Deletes the viewer's account, irreversibly: their sessions, factors, links, preferences,
/// watches, reads, memberships, mail and throttle records go; their name, address, job title
/// and portfolios are wiped and they are shown as "Former member" and a random tag; their
/// posts stay readable unless they chose to remove them; an audit entry records the deletion.
/// Needs the password (or, for an account without one, a recent sign-in). The last admin
/// cannot delete their account.
pub async fn delete_account(
    app: &AppState,
    viewer: &Viewer,
    choice: Deletion,
    client_addr: &str,
) -> Result<(), ApiError> {
    let account = user::Entity::find_by_id(viewer.id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("sign in to continue".into()))?;
    match (choice.password, account.password_hash.is_some()) {
        (Some(given), true) => {
            check_own_password(app, viewer, client_addr, given, "password").await?;
        }
        (None, true) => {
            return Err(ApiError::validation(
                "password",
                "give your password to delete your account",
            ))
        }
        (given, false) => {
            confirm_it_is_them(app, viewer, given, client_addr, "to delete your account").await?
        }
    }
    let now = Utc::now();
    let tag = pseudonym_tag();
    let txn = crate::db::begin_write(&app.db).await?;
    if account.role == crate::domain::Role::Admin.as_str()
        && other_admins(&txn, account.id).await? == 0
    {
        return Err(ApiError::Conflict(
            "you are the only administrator: make someone else an administrator before \
             deleting your account"
                .into(),
        ));
    }
    let former_email = format!("former-member-{}@deleted.invalid", account.id);
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(former_email.clone()))
        .col_expr(
            user::Column::DisplayName,
            Expr::value(format!("{FORMER_MEMBER} {tag}")),
        )
        .col_expr(user::Column::JobTitle, Expr::value(""))
        .col_expr(user::Column::Portfolios, Expr::value(""))
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::FeedSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::Disabled, Expr::value(true))
        .col_expr(user::Column::AnonymisedAt, Expr::value(now))
        .filter(user::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    forget_everything_but_posts(&txn, &account, &former_email).await?;
    if choice.remove_posts {
        remove_posts(&txn, account.id, now).await?;
    } else {
        reindex_posts(&txn, account.id, now).await?;
    }
    let documents: Vec<i32> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .filter(document::Column::OwnerId.eq(account.id))
        .into_tuple()
        .all(&txn)
        .await?;
    for id in documents {
        outbox::record(&txn, Change::Document(id), now).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(account.id),
            action: "user.delete",
            target_type: "user",
            target_id: Some(account.id),
            detail: serde_json::json!({"tag": tag, "posts_removed": choice.remove_posts}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    app.search.changed();
    crate::use_cases::password_reset::send_notice(
        app,
        &account.email,
        "OFFICIAL: Your Roundtable account has been deleted",
        "Your Roundtable account was deleted at your request. Your name, address and \
         sign-in details have been removed.\n\n\
         If you did not ask for this, tell your Roundtable administrator at once.\n"
            .to_string(),
    );
    Ok(())
}

/// Admins who can still sign in, other than `me`. Their rows stay locked until the
/// transaction ends, so two admins deleting their accounts at once cannot leave none.
async fn other_admins(txn: &impl ConnectionTrait, me: i32) -> Result<usize, sea_orm::DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(crate::domain::Role::Admin.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .lock_exclusive()
        .all(txn)
        .await?
        .iter()
        .filter(|u| u.id != me)
        .count())
}

/// Deletes every row that exists only for the person, and wipes their address from the
/// audit log's details (the entries themselves stay, under the pseudonymous address).
async fn forget_everything_but_posts(
    txn: &impl ConnectionTrait,
    account: &user::Model,
    former_email: &str,
) -> Result<(), sea_orm::DbErr> {
    let me = account.id;
    let address = account.email.to_lowercase();
    let their_sessions = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(Expr::col(session::Column::UserId).eq(me))
        .to_owned();
    retired_refresh_token::Entity::delete_many()
        .filter(retired_refresh_token::Column::SessionId.in_subquery(their_sessions))
        .exec(txn)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    identity::Entity::delete_many()
        .filter(identity::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    sign_in_flow::Entity::delete_many()
        .filter(sign_in_flow::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    passkey::Entity::delete_many()
        .filter(passkey::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    passkey_ceremony::Entity::delete_many()
        .filter(passkey_ceremony::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    second_factor_challenge::Entity::delete_many()
        .filter(second_factor_challenge::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    thread_read::Entity::delete_many()
        .filter(thread_read::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    thread_watch::Entity::delete_many()
        .filter(thread_watch::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    preference::Entity::delete_many()
        .filter(preference::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    space_member::Entity::delete_many()
        .filter(space_member::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    mail_job::Entity::delete_many()
        .filter(mail_job::Column::UserId.eq(me))
        .exec(txn)
        .await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Account.eq(address.clone()))
        .exec(txn)
        .await?;
    invitation::Entity::delete_many()
        .filter(invitation::Column::Email.eq(address.clone()))
        .exec(txn)
        .await?;
    let their_requests = sea_orm::sea_query::Query::select()
        .column(registration::Column::Id)
        .from(registration::Entity)
        .and_where(Expr::col(registration::Column::Email).eq(address.clone()))
        .to_owned();
    identity::Entity::delete_many()
        .filter(identity::Column::RegistrationId.in_subquery(their_requests))
        .exec(txn)
        .await?;
    registration::Entity::delete_many()
        .filter(registration::Column::Email.eq(address.clone()))
        .exec(txn)
        .await?;
    registration_request::Entity::delete_many()
        .filter(registration_request::Column::EmailHash.eq(crate::auth::token_hash(&address)))
        .exec(txn)
        .await?;
    // The address as a whole JSON string, so that another address ending in this one is
    // left alone.
    audit_log::Entity::update_many()
        .col_expr(
            audit_log::Column::Detail,
            Func::cust("replace")
                .args([
                    Expr::col(audit_log::Column::Detail),
                    Expr::value(format!("\"{address}\"")),
                    Expr::value(format!("\"{former_email}\"")),
                ])
                .into(),
        )
        .filter(detail_names(&address))
        .exec(txn)
        .await?;
    Ok(())
}

/// Deletes every post of theirs still shown, and wipes the text of all of them and of their
/// earlier versions.
async fn remove_posts(
    txn: &impl ConnectionTrait,
    me: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let shown = post::Entity::find()
        .filter(post::Column::AuthorId.eq(me))
        .filter(post::Column::DeletedAt.is_null())
        .all(txn)
        .await?;
    for p in &shown {
        forum_posts::soft_delete(txn, p, me, now).await?;
        super::documents::withdraw_attachments(txn, p.id, now).await?;
    }
    let theirs = Query::select()
        .column(post::Column::Id)
        .from(post::Entity)
        .and_where(Expr::col(post::Column::AuthorId).eq(me))
        .to_owned();
    post_revision::Entity::delete_many()
        .filter(post_revision::Column::PostId.in_subquery(theirs))
        .exec(txn)
        .await?;
    post::Entity::update_many()
        .col_expr(post::Column::BodyMarkdown, Expr::value(""))
        .col_expr(post::Column::BodyHtml, Expr::value(""))
        .col_expr(post::Column::BodyText, Expr::value(Option::<String>::None))
        .filter(post::Column::AuthorId.eq(me))
        .exec(txn)
        .await?;
    Ok(())
}

/// The search index holds each post's author name and address: every post of theirs is
/// indexed again, under the pseudonym.
async fn reindex_posts(
    txn: &impl ConnectionTrait,
    me: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<i32> = post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(post::Column::AuthorId.eq(me))
        .filter(post::Column::DeletedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    for id in ids {
        outbox::record(txn, Change::Post(id), now).await?;
    }
    Ok(())
}

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L).
fn pseudonym_tag() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_six_unambiguous_characters() {
        for _ in 0..200 {
            let tag = pseudonym_tag();
            assert_eq!(tag.len(), 6);
            assert!(
                tag.chars()
                    .all(|c| !"01OIL".contains(c) && c.is_ascii_alphanumeric()),
                "{tag}"
            );
        }
    }
}
