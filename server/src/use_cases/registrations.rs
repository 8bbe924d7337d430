//! Sponsored self-registration: someone with an address at an allow-listed domain asks for an
//! account, proves the address with an emailed single-use link, and waits for a sponsor of
//! that organisation (`permissions::registration_step` says who) to approve, which sends the
//! usual invitation, or to refuse, with a reason. Asking answers the same whatever the address.
use crate::accounts::{self, NewInvitation};
use crate::audit::{self, AuditEntry};
use crate::auth::{random_token, token_hash, Viewer};
use crate::db::entities::{identity, organisation, registration, registration_request, user};
use crate::domain::{Email, OrgKind, Role};
use crate::error::ApiError;
use crate::permissions::{registration_step, RegistrationStep};
use crate::state::AppState;
use crate::use_cases::password_reset::send_notice;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// How long the emailed link works.
pub const LINK_HOURS: i64 = 24;
/// Requests for one address in a day, and from one client address in an hour.
const PER_ADDRESS_PER_DAY: u64 = 3;
const PER_CLIENT_PER_HOUR: u64 = 10;
const REASON_CHARS: usize = 500;

pub struct NewRegistration {
    pub email: String,
    pub display_name: String,
    pub job_title: String,
}

/// Asks for an account. Whether the address already has an account, or its domain is on no
/// organisation's list, the answer is the same `Ok`; only the mail differs: a link to confirm
/// the address, a reminder to sign in, or nothing. Limited per address and per client. The
/// audit entry names an address outside the allow-list only by its SHA-256.
pub async fn request(
    app: &AppState,
    new: NewRegistration,
    client_addr: &str,
) -> Result<(), ApiError> {
    let email = Email::parse(&new.email).map_err(|e| ApiError::validation("email", e.0))?;
    let display_name = accounts::display_name(&new.display_name)?;
    let job_title = super::directory::job_title_checked(&new.job_title)?;
    let now = Utc::now();
    let address = email.to_string();
    let txn = crate::db::begin_write(&app.db).await?;
    one_request_at_a_time(&txn, &address).await?;
    throttle(&txn, &address, client_addr, now).await?;
    let (outcome, mail) = match accounts::find_user(&txn, &email).await? {
        Some(_) => ("has an account", Mail::Reminder),
        None => match accounts::organisation_of_address(&txn, &address).await? {
            None => ("domain not allowed", Mail::Nothing),
            Some(org) => {
                let token = random_token();
                let fields = (display_name.as_str(), job_title.as_str());
                if open_request(&txn, &address, fields, &org, &token, now).await? {
                    ("link sent", Mail::Link(org.name, token))
                } else {
                    ("already waiting for a sponsor", Mail::Nothing)
                }
            }
        },
    };
    let mut detail = serde_json::json!({"outcome": outcome, "client_address": client_addr});
    if matches!(mail, Mail::Nothing) && outcome == "domain not allowed" {
        detail["email_sha256"] = token_hash(&address).into();
    } else {
        detail["email"] = address.clone().into();
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: None,
            action: "registration.request",
            target_type: "registration",
            target_id: None,
            detail,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    match mail {
        Mail::Link(organisation, token) => send_link(app, &address, &organisation, &token),
        Mail::Reminder => remind_to_sign_in(app, &address),
        Mail::Nothing => {}
    }
    Ok(())
}

/// What a request mails, once it is stored.
enum Mail {
    Link(String, String),
    Reminder,
    Nothing,
}

/// Requests for one address wait for each other (SQLite's write transaction already does
/// this for every request), so that parallel requests cannot pass the limit together or open
/// two requests for one address.
async fn one_request_at_a_time(
    txn: &impl ConnectionTrait,
    address: &str,
) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let hash = token_hash(address);
    let key = u64::from_str_radix(&hash[..16], 16).unwrap_or(0) as i64;
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Counts this request, after refusing it (429) when the address or the client has asked too
/// often. Requests older than a day are forgotten here.
async fn throttle(
    db: &impl ConnectionTrait,
    address: &str,
    client_addr: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let day_ago = now - Duration::days(1);
    let hour_ago = now - Duration::hours(1);
    registration_request::Entity::delete_many()
        .filter(registration_request::Column::RequestedAt.lt(day_ago))
        .exec(db)
        .await?;
    let hash = token_hash(address);
    let for_address = registration_request::Entity::find()
        .filter(registration_request::Column::EmailHash.eq(hash.clone()))
        .filter(registration_request::Column::RequestedAt.gt(day_ago))
        .count(db)
        .await?;
    let from_client = registration_request::Entity::find()
        .filter(registration_request::Column::ClientAddr.eq(client_addr))
        .filter(registration_request::Column::RequestedAt.gt(hour_ago))
        .count(db)
        .await?;
    if for_address >= PER_ADDRESS_PER_DAY {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: 24 * 3600,
        });
    }
    if from_client >= PER_CLIENT_PER_HOUR {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: 3600,
        });
    }
    registration_request::ActiveModel {
        email_hash: Set(hash),
        client_addr: Set(client_addr.chars().take(64).collect()),
        requested_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores the request with a new link, or gives an unconfirmed one a new link. False when a
/// confirmed request is already waiting for a sponsor (nothing is sent then).
async fn open_request(
    db: &impl ConnectionTrait,
    address: &str,
    (display_name, job_title): (&str, &str),
    org: &organisation::Model,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let open = registration::Entity::find()
        .filter(registration::Column::Email.eq(address))
        .filter(registration::Column::Status.is_in(["unverified", "pending", "sponsored"]))
        .order_by_desc(registration::Column::Id)
        .one(db)
        .await?;
    let expires = now + Duration::hours(LINK_HOURS);
    match open {
        Some(waiting) if waiting.status != "unverified" => Ok(false),
        Some(unconfirmed) => {
            let mut again: registration::ActiveModel = unconfirmed.into();
            again.display_name = Set(display_name.to_string());
            again.job_title = Set(job_title.to_string());
            again.organisation_id = Set(org.id);
            again.token_hash = Set(token_hash(token));
            again.expires_at = Set(expires);
            again.update(db).await?;
            Ok(true)
        }
        None => {
            registration::ActiveModel {
                email: Set(address.to_string()),
                display_name: Set(display_name.to_string()),
                job_title: Set(job_title.to_string()),
                organisation_id: Set(org.id),
                token_hash: Set(token_hash(token)),
                status: Set("unverified".into()),
                created_at: Set(now),
                expires_at: Set(expires),
                ..Default::default()
            }
            .insert(db)
            .await?;
            Ok(true)
        }
    }
}

fn send_link(app: &AppState, address: &str, organisation: &str, token: &str) {
    let base = app.settings.public_url();
    send_notice(
        app,
        address,
        "OFFICIAL: Confirm your request to join Roundtable",
        format!(
            "You asked for a Roundtable account as a member of {organisation}.\n\n\
             Confirm this is your email address by opening this link within {LINK_HOURS} \
             hours:\n{base}/register/{token}\n\n\
             Your request then goes to {organisation}'s sponsors, who approve or refuse \
             it. If they approve it, we will email you a link to choose your password.\n\n\
             If you did not ask for an account, you can ignore this email.\n"
        ),
    );
}

fn remind_to_sign_in(app: &AppState, address: &str) {
    let base = app.settings.public_url();
    send_notice(
        app,
        address,
        "OFFICIAL: You already have a Roundtable account",
        format!(
            "Someone, perhaps you, asked for a Roundtable account with this email address. \
             You already have one.\n\n\
             Sign in at {base}/login, or choose a new password at {base}/password/forgot.\n\n\
             If you did not ask, you can ignore this email.\n"
        ),
    );
}

/// A request found by its emailed link.
pub struct Opened {
    pub organisation: String,
    pub display_name: String,
}

/// Looks at a request by its link without using it: 404 for an unknown link, 410 for one
/// already used or expired.
pub async fn look(app: &AppState, token: &str) -> Result<Opened, ApiError> {
    let found = by_link(&app.db, token, Utc::now()).await?;
    let organisation = organisation_name(&app.db, found.organisation_id).await?;
    Ok(Opened {
        organisation,
        display_name: found.display_name,
    })
}

async fn by_link(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<registration::Model, ApiError> {
    let found = registration::Entity::find()
        .filter(registration::Column::TokenHash.eq(token_hash(token.trim())))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound("this link is not valid".into()))?;
    if found.status != "unverified" {
        return Err(ApiError::Gone("this link has already been used".into()));
    }
    if found.expires_at <= now {
        return Err(ApiError::Gone(
            "this link has expired; ask for an account again".into(),
        ));
    }
    Ok(found)
}

async fn organisation_name(db: &impl ConnectionTrait, id: i32) -> Result<String, ApiError> {
    Ok(organisation::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// Confirms the address with the emailed link: the request now waits for a sponsor. The link
/// works once; two uses at once cannot both succeed.
pub async fn verify(app: &AppState, token: &str) -> Result<Opened, ApiError> {
    let now = Utc::now();
    let found = by_link(&app.db, token, now).await?;
    let txn = crate::db::begin_write(&app.db).await?;
    let taken = registration::Entity::update_many()
        .col_expr(registration::Column::Status, Expr::value("pending"))
        .col_expr(registration::Column::VerifiedAt, Expr::value(now))
        .filter(registration::Column::Id.eq(found.id))
        .filter(registration::Column::Status.eq("unverified"))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(ApiError::Gone("this link has already been used".into()));
    }
    audit::record(
        &txn,
        entry(None, "registration.verify", &found, serde_json::json!({})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Opened {
        organisation: organisation_name(&app.db, found.organisation_id).await?,
        display_name: found.display_name,
    })
}

fn entry(
    actor_id: Option<i32>,
    action: &'static str,
    found: &registration::Model,
    detail: serde_json::Value,
) -> AuditEntry<'static> {
    let mut detail = detail;
    detail["email"] = serde_json::Value::String(found.email.clone());
    AuditEntry {
        actor_id,
        action,
        target_type: "registration",
        target_id: Some(found.id),
        detail,
    }
}

/// A request as its sponsors see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub organisation: String,
    /// `force`, `pcc_office`, `national_body`, `supplier` or `operator`.
    pub organisation_kind: String,
    /// `pending` or `sponsored`.
    pub status: String,
    /// When the address was confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The chief officer or PCC who sponsored a supplier's request.
    pub sponsored_by: Option<String>,
    /// What the viewer may do: `decide` (approve or refuse), `sponsor` (a supplier's request:
    /// sponsor or refuse) or `await_sponsor` (an admin: refuse, or wait for a sponsor).
    pub step: String,
}

fn step_name(step: RegistrationStep) -> &'static str {
    match step {
        RegistrationStep::Decide => "decide",
        RegistrationStep::Sponsor => "sponsor",
        RegistrationStep::AwaitSponsor => "await_sponsor",
    }
}

struct Organisations(std::collections::HashMap<i32, organisation::Model>);

impl Organisations {
    async fn load(db: &impl ConnectionTrait) -> Result<Self, sea_orm::DbErr> {
        Ok(Organisations(
            organisation::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect(),
        ))
    }

    fn kind(&self, id: i32) -> OrgKind {
        self.0
            .get(&id)
            .and_then(|o| o.kind.parse().ok())
            .unwrap_or(OrgKind::Operator)
    }

    fn name(&self, id: i32) -> String {
        self.0.get(&id).map(|o| o.name.clone()).unwrap_or_default()
    }
}

fn step_for(
    viewer: &Viewer,
    orgs: &Organisations,
    found: &registration::Model,
) -> Option<RegistrationStep> {
    registration_step(
        viewer.role,
        (viewer.organisation_id, orgs.kind(viewer.organisation_id)),
        (found.organisation_id, orgs.kind(found.organisation_id)),
        &found.status,
    )
}

/// Whether the viewer's role ever sponsors (chief officers, PCCs and admins).
pub fn sponsors(viewer: &Viewer) -> bool {
    matches!(viewer.role, Role::ChiefOfficer | Role::Pcc | Role::Admin)
}

/// The open requests someone of `role` at `organisation_id` may act on, oldest first, each
/// with what they may do.
async fn open_for(
    db: &impl ConnectionTrait,
    orgs: &Organisations,
    role: Role,
    organisation_id: i32,
) -> Result<Vec<(registration::Model, RegistrationStep)>, sea_orm::DbErr> {
    if !matches!(role, Role::ChiefOfficer | Role::Pcc | Role::Admin) {
        return Ok(Vec::new());
    }
    let viewer_org = (organisation_id, orgs.kind(organisation_id));
    Ok(registration::Entity::find()
        .filter(registration::Column::Status.is_in(["pending", "sponsored"]))
        .order_by_asc(registration::Column::VerifiedAt)
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let request_org = (r.organisation_id, orgs.kind(r.organisation_id));
            let step = registration_step(role, viewer_org, request_org, &r.status)?;
            Some((r, step))
        })
        .collect())
}

/// How many requests wait for someone of `role` at `organisation_id` (for their digest).
pub async fn count_waiting_for(
    db: &impl ConnectionTrait,
    role: Role,
    organisation_id: i32,
) -> Result<usize, sea_orm::DbErr> {
    if !matches!(role, Role::ChiefOfficer | Role::Pcc | Role::Admin) {
        return Ok(0);
    }
    let orgs = Organisations::load(db).await?;
    Ok(open_for(db, &orgs, role, organisation_id).await?.len())
}

/// The requests waiting for the viewer, oldest first. Anyone who never sponsors gets 403.
pub async fn waiting(app: &AppState, viewer: &Viewer) -> Result<Vec<RegistrationView>, ApiError> {
    if !sponsors(viewer) {
        return Err(ApiError::Forbidden(
            "only chief officers, PCCs and admins sponsor requests for accounts".into(),
        ));
    }
    let orgs = Organisations::load(&app.db).await?;
    let open = open_for(&app.db, &orgs, viewer.role, viewer.organisation_id).await?;
    let sponsor_ids: Vec<i32> = open.iter().filter_map(|(r, _)| r.sponsored_by).collect();
    let names: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(sponsor_ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(open
        .into_iter()
        .map(|(r, step)| RegistrationView {
            id: r.id,
            organisation: orgs.name(r.organisation_id),
            organisation_kind: orgs.kind(r.organisation_id).as_str().to_string(),
            sponsored_by: r.sponsored_by.and_then(|id| names.get(&id).cloned()),
            email: r.email,
            display_name: r.display_name,
            job_title: r.job_title,
            status: r.status,
            confirmed_at: r.verified_at,
            step: step_name(step).to_string(),
        })
        .collect())
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// The person was invited: the emailed link sets their password.
    Invited,
    /// The person asked by signing in with their organisation's account, which now signs in
    /// to their new account (they are told by email).
    Admitted,
    /// A supplier's request was sponsored; an admin decides next.
    Sponsored,
}

/// The request, if the viewer may act on it (404 otherwise, as if it did not exist).
async fn actionable(
    app: &AppState,
    viewer: &Viewer,
    id: i32,
) -> Result<(registration::Model, RegistrationStep, Organisations), ApiError> {
    let orgs = Organisations::load(&app.db).await?;
    let found = registration::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let step = step_for(viewer, &orgs, &found).ok_or_else(ApiError::not_found)?;
    Ok((found, step, orgs))
}

/// Moves the request from `found.status` to `to`, or 409 when someone else acted first.
async fn move_on(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    found: &registration::Model,
    to: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut update = registration::Entity::update_many()
        .col_expr(registration::Column::Status, Expr::value(to))
        .filter(registration::Column::Id.eq(found.id))
        .filter(registration::Column::Status.eq(found.status.as_str()));
    update = if to == "sponsored" {
        update.col_expr(registration::Column::SponsoredBy, Expr::value(viewer.id))
    } else {
        update
            .col_expr(registration::Column::DecidedBy, Expr::value(viewer.id))
            .col_expr(registration::Column::DecidedAt, Expr::value(now))
            .col_expr(
                registration::Column::Reason,
                Expr::value(reason.map(str::to_string)),
            )
    };
    if update.exec(txn).await?.rows_affected != 1 {
        return Err(ApiError::Conflict(
            "someone else has already answered this request".into(),
        ));
    }
    Ok(())
}

/// Approves (the person is invited, with the role their organisation's kind gives: staff, or
/// supplier) or, for a supplier's request and a chief officer or PCC, sponsors it.
pub async fn approve(app: &AppState, viewer: &Viewer, id: i32) -> Result<Approval, ApiError> {
    let (found, step, orgs) = actionable(app, viewer, id).await?;
    let now = Utc::now();
    match step {
        RegistrationStep::AwaitSponsor => Err(ApiError::Conflict(
            "a supplier's request needs a chief officer or PCC to sponsor it first".into(),
        )),
        RegistrationStep::Sponsor => {
            let txn = crate::db::begin_write(&app.db).await?;
            move_on(&txn, viewer, &found, "sponsored", None, now).await?;
            let action = "registration.sponsor";
            audit::record(
                &txn,
                entry(Some(viewer.id), action, &found, serde_json::json!({})),
                now,
            )
            .await?;
            txn.commit().await?;
            Ok(Approval::Sponsored)
        }
        RegistrationStep::Decide => {
            let role = match orgs.kind(found.organisation_id) {
                OrgKind::Supplier => Role::Supplier,
                _ => Role::Staff,
            };
            let email = Email::parse(&found.email)
                .map_err(|e| anyhow::anyhow!("a stored request's address: {}", e.0))?;
            let txn = crate::db::begin_write(&app.db).await?;
            move_on(&txn, viewer, &found, "approved", None, now).await?;
            let detail = serde_json::json!({"role": role.as_str()});
            audit::record(
                &txn,
                entry(Some(viewer.id), "registration.approve", &found, detail),
                now,
            )
            .await?;
            if let Some(waiting) = identity_of_request(&txn, found.id).await? {
                admit_with_identity(&txn, &found, &email, role, waiting, now).await?;
                txn.commit().await?;
                tell_they_can_sign_in(app, &found.email);
                return Ok(Approval::Admitted);
            }
            txn.commit().await?;
            let invited = accounts::invite(
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
            .await;
            if let Err(failed) = invited {
                // Nobody has a link: the request waits again, to be approved once mail works.
                reopen(&app.db, &found).await?;
                return Err(failed.into());
            }
            Ok(Approval::Invited)
        }
    }
}

/// The organisation account a request came with, when it was made by signing in with one.
async fn identity_of_request(
    db: &impl ConnectionTrait,
    registration_id: i32,
) -> Result<Option<identity::Model>, sea_orm::DbErr> {
    identity::Entity::find()
        .filter(identity::Column::RegistrationId.eq(registration_id))
        .one(db)
        .await
}

/// Makes the account (without a password) and gives it the request's organisation account.
async fn admit_with_identity(
    txn: &impl ConnectionTrait,
    found: &registration::Model,
    email: &Email,
    role: Role,
    waiting: identity::Model,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let added = accounts::add_user(
        txn,
        accounts::NewUser {
            email,
            display_name: &found.display_name,
            role,
            organisation_id: found.organisation_id,
            job_title: &found.job_title,
            password: None,
        },
        now,
    )
    .await?;
    let mut owned: identity::ActiveModel = waiting.into();
    owned.user_id = Set(Some(added.id));
    owned.registration_id = Set(None);
    owned.update(txn).await?;
    Ok(())
}

fn tell_they_can_sign_in(app: &AppState, address: &str) {
    let base = app.settings.public_url();
    send_notice(
        app,
        address,
        "OFFICIAL: Your Roundtable account is ready",
        format!(
            "Your request to join Roundtable was approved.\n\n\
             Sign in at {base}/login with your organisation's account: enter your work email \
             address under \"Or sign in with your organisation's account\".\n"
        ),
    );
}

/// Puts an approved request back as it was before, when its invitation could not be sent.
async fn reopen(db: &impl ConnectionTrait, found: &registration::Model) -> Result<(), ApiError> {
    registration::Entity::update_many()
        .col_expr(
            registration::Column::Status,
            Expr::value(found.status.as_str()),
        )
        .col_expr(
            registration::Column::DecidedBy,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            registration::Column::DecidedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(registration::Column::Id.eq(found.id))
        .filter(registration::Column::Status.eq("approved"))
        .exec(db)
        .await?;
    Ok(())
}

/// Refuses the request and tells the person why.
pub async fn deny(app: &AppState, viewer: &Viewer, id: i32, reason: &str) -> Result<(), ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_CHARS {
        return Err(ApiError::validation(
            "reason",
            format!("give a reason of 1 to {REASON_CHARS} characters; the person is told it"),
        ));
    }
    let (found, _, _) = actionable(app, viewer, id).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    move_on(&txn, viewer, &found, "denied", Some(reason), now).await?;
    identity::Entity::delete_many()
        .filter(identity::Column::RegistrationId.eq(found.id))
        .exec(&txn)
        .await?;
    let detail = serde_json::json!({"reason": reason});
    audit::record(
        &txn,
        entry(Some(viewer.id), "registration.deny", &found, detail),
        now,
    )
    .await?;
    txn.commit().await?;
    send_notice(
        app,
        &found.email,
        "OFFICIAL: Your request to join Roundtable",
        format!(
            "Your request for a Roundtable account was not approved.\n\n\
             The reason given: {reason}\n\n\
             If you think this is a mistake, speak to your organisation's chief officer or \
             PCC's office.\n"
        ),
    );
    Ok(())
}
