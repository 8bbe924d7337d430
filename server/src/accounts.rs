//! Organisations, users and invitations: the steps shared by the API and the CLI.
use crate::audit::{self, AuditEntry};
use crate::auth::{password, random_token, sessions, token_hash};
use crate::db::entities::{invitation, organisation, organisation_domain, user};
use crate::domain::{Email, OrgKind, Role};
use crate::mail::{Mailer, Outgoing};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an organisation named {0:?} already exists")]
    OrganisationExists(String),
    #[error("no organisation named {0:?}")]
    NoSuchOrganisation(String),
    #[error("a user with email {0} already exists")]
    UserExists(String),
    #[error("no user with email {0}")]
    NoSuchUser(String),
    #[error("{0}")]
    WeakPassword(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("this invitation link is not valid")]
    InvitationUnknown,
    #[error("this invitation has already been used")]
    InvitationUsed,
    #[error("this invitation has expired; ask for a new one")]
    InvitationExpired,
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    InvalidDomain(String),
    #[error("the domain {0} already belongs to {1}")]
    DomainTaken(String, String),
    /// The cause stays for the log; people see only the message.
    #[error("the invitation was saved but its email could not be sent just now; try again in a few minutes")]
    Mail(#[source] crate::mail::MailError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub fn display_name(raw: &str) -> Result<String, AccountError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 120 || s.chars().any(char::is_control) {
        return Err(AccountError::InvalidName(
            "name must be 1 to 120 characters on one line".into(),
        ));
    }
    Ok(s.to_string())
}

/// An email domain as stored: lower case, without a leading `@`, made of labels of letters,
/// digits and hyphens, with at least one dot.
pub fn email_domain(raw: &str) -> Result<String, AccountError> {
    let d = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if d.len() > 253 || !d.contains('.') || !d.split('.').all(label_ok) {
        return Err(AccountError::InvalidDomain(format!(
            "{raw:?} is not an email domain such as kent.police.uk"
        )));
    }
    Ok(d)
}

/// Adds `domain` to the organisation's allow-list: people with an address there may ask for an
/// account. A domain belongs to one organisation only.
pub async fn add_domain(
    db: &impl ConnectionTrait,
    org: &organisation::Model,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<organisation_domain::Model, AccountError> {
    let domain = email_domain(domain)?;
    if let Some(owner) = organisation_of_domain(db, &domain).await? {
        return Err(AccountError::DomainTaken(domain, owner.name));
    }
    let added = organisation_domain::ActiveModel {
        organisation_id: Set(org.id),
        domain: Set(domain.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match added {
        // Added by someone else between the check and the insert.
        Err(e) if crate::db::is_unique_violation(&e) => Err(AccountError::DomainTaken(
            domain,
            "another organisation".into(),
        )),
        other => Ok(other?),
    }
}

/// Takes `domain` off the allow-list; false when it was not on it.
pub async fn remove_domain(db: &impl ConnectionTrait, domain: &str) -> Result<bool, AccountError> {
    let domain = email_domain(domain)?;
    let gone = organisation_domain::Entity::delete_many()
        .filter(organisation_domain::Column::Domain.eq(domain))
        .exec(db)
        .await?;
    Ok(gone.rows_affected > 0)
}

/// The organisation whose allow-list holds the domain of `address`, if any.
pub async fn organisation_of_address(
    db: &impl ConnectionTrait,
    address: &str,
) -> Result<Option<organisation::Model>, sea_orm::DbErr> {
    let domain = address.rsplit_once('@').map(|(_, d)| email_domain(d));
    match domain {
        Some(Ok(domain)) => organisation_of_domain(db, &domain).await,
        _ => Ok(None),
    }
}

/// The organisation whose allow-list holds `domain` (as stored), if any.
pub async fn organisation_of_domain(
    db: &impl ConnectionTrait,
    domain: &str,
) -> Result<Option<organisation::Model>, sea_orm::DbErr> {
    let Some(row) = organisation_domain::Entity::find()
        .filter(organisation_domain::Column::Domain.eq(domain))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    organisation::Entity::find_by_id(row.organisation_id)
        .one(db)
        .await
}

/// Every organisation's domains, by organisation id, each list sorted.
pub async fn domains_by_organisation(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<i32, Vec<String>>, sea_orm::DbErr> {
    let mut out: std::collections::HashMap<i32, Vec<String>> = Default::default();
    for row in organisation_domain::Entity::find()
        .order_by_asc(organisation_domain::Column::Domain)
        .all(db)
        .await?
    {
        out.entry(row.organisation_id).or_default().push(row.domain);
    }
    Ok(out)
}

pub async fn find_org_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<organisation::Model>, sea_orm::DbErr> {
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name.trim()))
        .one(db)
        .await
}

pub async fn add_organisation(
    db: &impl ConnectionTrait,
    name: &str,
    kind: OrgKind,
    now: DateTime<Utc>,
) -> Result<organisation::Model, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AccountError::InvalidName(
            "organisation name must be 1 to 200 characters".into(),
        ));
    }
    if find_org_by_name(db, name).await?.is_some() {
        return Err(AccountError::OrganisationExists(name.to_string()));
    }
    Ok(organisation::ActiveModel {
        name: Set(name.to_string()),
        kind: Set(kind.as_str().to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// These users, by id, read 500 at a time.
pub async fn users_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, user::Model>, sea_orm::DbErr> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        out.extend(
            user::Entity::find()
                .filter(user::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u)),
        );
    }
    Ok(out)
}

/// When the account was made (the start of what can be unread for it).
pub async fn joined_at(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<DateTime<Utc>, sea_orm::DbErr> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.created_at)
        .unwrap_or_else(Utc::now))
}

pub async fn find_user(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.as_ref()))
        .one(db)
        .await
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub role: Role,
    pub organisation_id: i32,
    pub job_title: &'a str,
    /// `None` leaves the account without a password until an invitation is accepted.
    pub password: Option<&'a str>,
}

pub async fn add_user(
    db: &impl ConnectionTrait,
    new: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    if find_user(db, new.email).await?.is_some() {
        return Err(AccountError::UserExists(new.email.to_string()));
    }
    let hash = match new.password {
        Some(p) => {
            password::check_strength(p).map_err(AccountError::WeakPassword)?;
            let p = p.to_string();
            Some(
                tokio::task::spawn_blocking(move || password::hash(&p))
                    .await
                    .map_err(anyhow::Error::new)??,
            )
        }
        None => None,
    };
    Ok(user::ActiveModel {
        email: Set(new.email.to_string()),
        display_name: Set(display_name(new.display_name)?),
        role: Set(new.role.as_str().to_string()),
        organisation_id: Set(new.organisation_id),
        job_title: Set(new.job_title.trim().chars().take(120).collect()),
        disabled: Set(false),
        password_hash: Set(hash),
        created_at: Set(now),
        portfolios: Set(String::new()),
        feed_secret: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Who is invited, as what, and by whom.
pub struct NewInvitation<'a> {
    pub email: &'a Email,
    pub role: Role,
    pub organisation_id: i32,
    pub invited_by: Option<i32>,
}

pub struct Invitation {
    pub id: i32,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
    pub token: String,
    /// The address already had an account: it was told so, and sent no link. Only the
    /// operator's CLI says this; the API answers alike so that inviting cannot reveal who has
    /// an account.
    pub already_a_member: bool,
}

/// Stores an invitation (the token only as its hash) and mails the link. The row is committed
/// before sending, so a mail failure loses nothing: inviting again sends a fresh link. An
/// address that already has an account gets the same record and answer, but its email says so
/// and carries no link.
pub async fn invite(
    db: &DatabaseConnection,
    mailer: &Mailer,
    public_url: &str,
    new: NewInvitation<'_>,
    valid_days: u32,
    now: DateTime<Utc>,
) -> Result<Invitation, AccountError> {
    let NewInvitation {
        email,
        role,
        organisation_id,
        invited_by,
    } = new;
    let already_a_member = find_user(db, email)
        .await?
        .is_some_and(|u| u.password_hash.is_some());
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| AccountError::NoSuchOrganisation(organisation_id.to_string()))?;
    let token = random_token();
    let expires_at = now + Duration::days(valid_days.into());
    let txn = crate::db::begin_write(db).await?;
    let row = invitation::ActiveModel {
        token_hash: Set(token_hash(&token)),
        email: Set(email.to_string()),
        role: Set(role.as_str().to_string()),
        organisation_id: Set(organisation_id),
        invited_by: Set(invited_by),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: invited_by,
            action: "user.invite",
            target_type: "invitation",
            target_id: Some(row.id),
            detail: serde_json::json!({
                "email": email.as_ref(), "role": role.as_str(), "organisation": org.name,
                "already_a_member": already_a_member,
            }),
        },
        now,
    )
    .await?;
    txn.commit().await?;

    let text = if already_a_member {
        already_a_member_text(public_url)
    } else {
        invitation_text(
            &format!("{public_url}/invitations/{token}"),
            role,
            &org.name,
            expires_at,
        )
    };
    mailer
        .send(Outgoing {
            to: email.to_string(),
            subject: "OFFICIAL: Your invitation to Roundtable".into(),
            text,
            ..Default::default()
        })
        .await
        .map_err(AccountError::Mail)?;
    Ok(Invitation {
        id: row.id,
        email: email.clone(),
        expires_at,
        token,
        already_a_member,
    })
}

fn invitation_text(link: &str, role: Role, org: &str, expires_at: DateTime<Utc>) -> String {
    format!(
        "You have been invited to Roundtable, the forum for chief officers, PCCs and their teams,\n\
         as {role} of {org}.\n\n\
         Open this link to choose your name and password (it works once and expires on {expiry}):\n\n\
         {link}\n\n\
         If you were not expecting this, you can ignore this email.\n",
        role = role.as_str().replace('_', " "),
        expiry = expires_at.format("%-d %B %Y"),
    )
}

fn already_a_member_text(public_url: &str) -> String {
    format!(
        "Someone invited this address to Roundtable, but you already have an account.\n\n\
         Sign in at {public_url}/ with your email address and password. If you have forgotten\n\
         your password, ask your Roundtable administrator.\n\n\
         If you were not expecting this, you can ignore this email.\n"
    )
}

/// Checks an invitation link without using it.
pub async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<invitation::Model, AccountError> {
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
        .ok_or(AccountError::InvitationUnknown)?;
    if found.used_at.is_some() {
        return Err(AccountError::InvitationUsed);
    }
    if found.expires_at <= now {
        return Err(AccountError::InvitationExpired);
    }
    Ok(found)
}

/// Uses the invitation once: creates (or completes) the account with the chosen name and
/// password. The single-use mark is conditional, so two concurrent accepts cannot both win.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    token: &str,
    name: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    let name = display_name(name)?;
    password::check_strength(new_password).map_err(AccountError::WeakPassword)?;
    let found = open_invitation(db, token, now).await?;
    let owned = new_password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
        .await
        .map_err(anyhow::Error::new)??;
    let txn = crate::db::begin_write(db).await?;
    let marked = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(invitation::Column::Id.eq(found.id))
        .filter(invitation::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(AccountError::InvitationUsed);
    }
    let email =
        Email::parse(&found.email).map_err(|e| anyhow::anyhow!("stored invitation email: {e}"))?;
    let role: Role = found
        .role
        .parse()
        .map_err(|e| anyhow::anyhow!("stored invitation role: {e}"))?;
    let account = match find_user(&txn, &email).await? {
        Some(existing) if existing.password_hash.is_some() => {
            return Err(AccountError::UserExists(email.to_string()))
        }
        Some(existing) => {
            let mut active: user::ActiveModel = existing.into();
            active.display_name = Set(name);
            active.password_hash = Set(Some(hash));
            active.update(&txn).await?
        }
        None => {
            user::ActiveModel {
                email: Set(email.to_string()),
                display_name: Set(name),
                role: Set(role.as_str().to_string()),
                organisation_id: Set(found.organisation_id),
                job_title: Set(String::new()),
                portfolios: Set(String::new()),
                feed_secret: Set(None),
                disabled: Set(false),
                password_hash: Set(Some(hash)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(account)
}

/// Disables the account and revokes every session at once.
pub async fn disable_user(
    db: &DatabaseConnection,
    actor_id: Option<i32>,
    target: &user::Model,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::Disabled,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(user::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    sessions::revoke_all(&txn, target.id, now).await?;
    sessions::withdraw_standing_links(&txn, target.id, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "user.disable",
            target_type: "user",
            target_id: Some(target.id),
            detail: serde_json::json!({"email": target.email}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
