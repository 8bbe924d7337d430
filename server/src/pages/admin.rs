//! `/admin`: accounts and invitations, organisations, spaces and their audiences, the audit
//! log and the mail queue. Every rule comes from the permission module, through the use
//! cases; a page here only shows and asks.
use super::errors::{see_other, PageError};
use super::form::{Fields, FormErrors, Submitted};
use super::render::{self, iso, when, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::role_name;
use crate::db::entities::space;
use crate::domain::{Email, OrgKind, Role, Slug};
use crate::error::ApiError;
use crate::routes::id_from_path;
use crate::spaces::{NewSpace, SpaceChanges};
use crate::state::AppState;
use crate::use_cases::admin::{self as uc, AuditFilter};
use crate::use_cases::spaces::{emails, roles};
use crate::use_cases::{self, accounts};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

const ROLES: [&str; 5] = ["chief_officer", "pcc", "staff", "supplier", "admin"];
const ORG_KINDS: [(&str, &str); 5] = [
    ("force", "Police force"),
    ("pcc_office", "Office of the PCC"),
    ("national_body", "National body"),
    ("supplier", "Supplier"),
    ("operator", "Platform operator"),
];

pub struct Option_ {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn role_options(selected: &str) -> Vec<Option_> {
    ROLES
        .iter()
        .map(|r| Option_ {
            value: r.to_string(),
            label: role_name(r).to_string(),
            selected: *r == selected,
        })
        .collect()
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

fn done_message(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "invited" => "The invitation is sent.",
        "resent" => "A new invitation link is sent; the old one no longer works.",
        "revoked" => "The invitation is withdrawn; its link no longer works.",
        "role" => "The role is changed.",
        "disabled" => "The account is disabled and signed out everywhere.",
        "enabled" => "The account can sign in again.",
        "two-step-reset" => {
            "The authenticator app is removed and the person is signed out everywhere. They have been told by email."
        }
        "organisation" => "The organisation is added.",
        "domain" => "The domain is added: people with an address there may ask for an account.",
        "domain-removed" => "The domain is removed: nobody more can ask for an account with it.",
        "sign-in" => "The organisation's own sign-in is saved: its people can use it from the sign-in page.",
        "sign-in-removed" => "The organisation's own sign-in is removed: its people sign in with passwords.",
        "space" => "The space is saved.",
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "pages/admin/index.html")]
struct IndexPage {
    chrome: Chrome,
    /// `None`: uploads are not scanned; otherwise whether clamd answers now.
    scanner_up: Option<bool>,
}

#[get("/admin")]
pub async fn index(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    uc::may_administer(&who.viewer)?;
    let scanner_up = match &state.library.scanner {
        Some(clamd) => Some(clamd.ping(std::time::Duration::from_secs(2)).await),
        None => None,
    };
    render::page(
        &state,
        &IndexPage {
            chrome: who.chrome,
            scanner_up,
        },
    )
}

// ---- People and invitations ---------------------------------------------------------------

struct AccountRow {
    id: i32,
    name: String,
    email: String,
    organisation: String,
    role: &'static str,
    roles: Vec<Option_>,
    disabled: bool,
    deleted: bool,
    is_me: bool,
    /// How they sign in, in words.
    sign_in: String,
    /// Whether they have an authenticator app an admin could remove.
    has_app: bool,
    /// Whether a setting requires a second factor of their role and they have none yet.
    second_factor_due: bool,
}

/// How someone signs in, as the people list says it.
fn sign_in_words(
    password: Option<uc::SignInMethod>,
    organisation: bool,
    deleted: bool,
    passkey: bool,
) -> String {
    let with_password = match (password, passkey) {
        (None, _) if deleted => return "Nothing: deleted".into(),
        (None, _) if organisation => return "Organisation account (single sign-on)".into(),
        (None, _) => return "No password yet".into(),
        (Some(uc::SignInMethod::Password), false) => "Password",
        (Some(uc::SignInMethod::Password), true) => "Password and passkey",
        (Some(uc::SignInMethod::PasswordAndAuthenticator), false) => {
            "Password and authenticator app"
        }
        (Some(uc::SignInMethod::PasswordAndAuthenticator), true) => {
            "Password and authenticator app or passkey"
        }
    };
    if organisation {
        format!(
            "Organisation account (single sign-on), or {}",
            with_password.to_lowercase()
        )
    } else {
        with_password.into()
    }
}

struct InvitationRow {
    id: i32,
    email: String,
    role: &'static str,
    organisation: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "pages/admin/people.html")]
struct PeoplePage {
    chrome: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    accounts: Vec<AccountRow>,
    invitations: Vec<InvitationRow>,
    invite_email: String,
    invite_roles: Vec<Option_>,
    organisations: Vec<Option_>,
}

async fn people_page(
    state: &AppState,
    who: SignedIn,
    done: Option<&'static str>,
    errors: FormErrors,
    typed: (String, String, String),
) -> Result<HttpResponse, PageError> {
    let v = &who.viewer;
    let accounts = uc::accounts(state, v)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            is_me: a.id == v.id,
            roles: role_options(&a.role),
            role: role_name(&a.role),
            id: a.id,
            name: a.name,
            email: a.email,
            organisation: a.organisation,
            disabled: a.disabled,
            deleted: a.deleted,
            has_app: a.sign_in == Some(uc::SignInMethod::PasswordAndAuthenticator) || a.passkey,
            second_factor_due: a.sign_in != Some(uc::SignInMethod::PasswordAndAuthenticator)
                && !a.passkey
                && state.settings.auth.second_factor_required(&a.role),
            sign_in: sign_in_words(a.sign_in, a.organisation_account, a.deleted, a.passkey),
        })
        .collect();
    let invitations = uc::pending_invitations(state, v)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id,
            email: i.email,
            role: role_name(&i.role),
            organisation: i.organisation,
            expires: when(i.expires_at),
        })
        .collect();
    let organisations = uc::organisations(state, v)
        .await?
        .into_iter()
        .map(|o| Option_ {
            selected: o.id.to_string() == typed.2,
            value: o.id.to_string(),
            label: o.name,
        })
        .collect();
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &PeoplePage {
            chrome: who.chrome,
            done,
            errors,
            accounts,
            invitations,
            invite_email: typed.0,
            invite_roles: role_options(if typed.1.is_empty() {
                "staff"
            } else {
                &typed.1
            }),
            organisations,
        },
    )
}

#[get("/admin/people")]
pub async fn show_people(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = done_message(asked.done.as_deref());
    people_page(&state, who, done, FormErrors::default(), Default::default()).await
}

#[derive(Template)]
#[template(path = "pages/admin/two_step_reset.html")]
struct TwoStepResetPage {
    chrome: Chrome,
    errors: FormErrors,
    id: i32,
    name: String,
    email: String,
}

async fn two_step_reset_page(
    state: &AppState,
    who: SignedIn,
    id: i32,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let (name, email) = uc::person(state, &who.viewer, id).await?;
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &TwoStepResetPage {
            chrome: who.chrome,
            errors,
            id,
            name,
            email,
        },
    )
}

/// Asks the admin's password before removing someone's authenticator app.
#[get("/admin/people/{id}/two-step")]
pub async fn confirm_two_step_reset(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_from_path(&path)?;
    two_step_reset_page(&state, who, id, FormErrors::default()).await
}

#[post("/admin/people/{id}/two-step")]
pub async fn reset_two_step(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let id = id_from_path(&path)?;
    let v = &who.viewer;
    let resetting = async |password, addr: String| {
        use_cases::second_factor::reset_for(&state, v, id, Some(password), &addr).await
    };
    let errors = match super::password_again::attempt(&state, &req, &f, resetting).await? {
        Ok(()) => return Ok(see_other("/admin/people?done=two-step-reset")),
        Err(errors) => errors,
    };
    two_step_reset_page(&state, who, id, errors).await
}

fn opened(state: &AppState, who: &SignedIn, form: Submitted) -> Result<Fields, PageError> {
    form.verified(&state.keys.csrf, &who.viewer.session_id)
}

#[post("/admin/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let typed = (
        f.get("email").trim().to_string(),
        f.get("role").to_string(),
        f.get("organisation").to_string(),
    );
    let mut errors = FormErrors::default();
    let email =
        Email::parse(&typed.0).map_err(|e| errors.add("email", super::errors::capitalise(&e.0)));
    let role = typed
        .1
        .parse::<Role>()
        .map_err(|_| errors.add("role", "Choose a role"));
    let org = typed
        .2
        .parse::<i32>()
        .map_err(|_| errors.add("organisation", "Choose an organisation"));
    if let (Ok(email), Ok(role), Ok(org)) = (email, role, org) {
        match accounts::invite(&state, &who.viewer, &email, role, Some(org)).await {
            Ok(_) => return Ok(see_other("/admin/people?done=invited")),
            Err(e) => {
                let ids = [
                    ("email", "email"),
                    ("organisation_id", "organisation"),
                    ("role", "role"),
                ];
                errors = FormErrors::from_api(&e, &ids).ok_or(PageError::Api(e))?;
            }
        }
    }
    people_page(&state, who, None, errors, typed).await
}

#[post("/admin/invitations/{id}/{act}")]
pub async fn invitation_act(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    opened(&state, &who, form)?;
    let id = id_from_path(&path.0)?;
    let done = match path.1.as_str() {
        "resend" => {
            uc::resend_invitation(&state, &who.viewer, id).await?;
            "resent"
        }
        "revoke" => {
            uc::revoke_invitation(&state, &who.viewer, id).await?;
            "revoked"
        }
        _ => return Err(ApiError::not_found().into()),
    };
    Ok(see_other(&format!("/admin/people?done={done}")))
}

#[derive(Template)]
#[template(path = "pages/admin/role_change.html")]
struct RoleChangePage {
    chrome: Chrome,
    errors: FormErrors,
    id: i32,
    name: String,
    email: String,
    role: String,
    role_name: &'static str,
}

/// Changes a role; with a sign-in older than `auth.recent_sign_in_minutes`, first asks for the
/// admin's password on a page of its own.
async fn change_role(
    state: &AppState,
    who: SignedIn,
    id: i32,
    f: &Fields,
    req: &HttpRequest,
) -> Result<HttpResponse, PageError> {
    let role = f
        .get("role")
        .parse::<Role>()
        .map_err(|_| ApiError::validation("role", "choose a role"))?;
    let password = f.opt("password").map(str::to_string);
    let asked_again = password.is_some();
    let mut errors = FormErrors::default();
    if password.as_deref() == Some("") {
        errors.add("password", "Enter your password");
    } else if asked_again || use_cases::second_factor::signed_in_lately(state, &who.viewer) {
        let ip = crate::routes::auth::client_ip(state, req);
        match uc::change_role(state, &who.viewer, id, role, password, &ip).await {
            Ok(()) => return Ok(see_other("/admin/people?done=role")),
            Err(e) => {
                errors = FormErrors::from_api(&e, &[("password", "password")])
                    .ok_or(PageError::Api(e))?
            }
        }
    }
    let (name, email) = uc::person(state, &who.viewer, id).await?;
    render::page_with_status(
        state,
        errors.status(),
        &RoleChangePage {
            chrome: who.chrome,
            errors,
            id,
            name,
            email,
            role: role.as_str().to_string(),
            role_name: role_name(role.as_str()),
        },
    )
}

#[post("/admin/people/{id}/{act}")]
pub async fn account_act(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let id = id_from_path(&path.0)?;
    if path.1 == "role" {
        return change_role(&state, who, id, &f, &req).await;
    }
    let v = &who.viewer;
    let done = match path.1.as_str() {
        "disable" => {
            accounts::disable(&state, v, id).await?;
            "disabled"
        }
        "enable" => {
            uc::enable(&state, v, id).await?;
            "enabled"
        }
        _ => return Err(ApiError::not_found().into()),
    };
    Ok(see_other(&format!("/admin/people?done={done}")))
}

// ---- Organisations ----------------------------------------------------------------------

struct OrgRow {
    id: i32,
    name: String,
    kind: &'static str,
    members: u64,
    domains: Vec<String>,
    /// The issuer of its own sign-in service, and whether it admits new people at once.
    provider: Option<(String, bool)>,
}

#[derive(Template)]
#[template(path = "pages/admin/organisations.html")]
struct OrganisationsPage {
    chrome: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    organisations: Vec<OrgRow>,
    name: String,
    kinds: Vec<Option_>,
    /// The text fields of the form that connects an organisation's own sign-in.
    provider_fields: &'static [(&'static str, &'static str, &'static str)],
    /// The address to register with a provider.
    callback_url: String,
}

const PROVIDER_FIELDS: [(&str, &str, &str); 4] = [
    (
        "tenant_id",
        "Entra ID directory (tenant) ID",
        "From the app registration's Overview page. Leave empty for another provider.",
    ),
    (
        "issuer",
        "Issuer URL (other providers)",
        "Exactly as the provider's discovery document gives it, starting https://. Leave empty for Entra ID.",
    ),
    ("client_id", "Application (client) ID", ""),
    (
        "client_secret",
        "Client secret",
        "Stored sealed; it is never shown again.",
    ),
];

fn kind_label(kind: &str) -> &'static str {
    ORG_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("Organisation")
}

async fn organisations_page(
    state: &AppState,
    who: SignedIn,
    done: Option<&'static str>,
    errors: FormErrors,
    typed: (String, String),
) -> Result<HttpResponse, PageError> {
    let organisations = uc::organisations(state, &who.viewer)
        .await?
        .into_iter()
        .map(|o| OrgRow {
            id: o.id,
            kind: kind_label(&o.kind),
            name: o.name,
            members: o.members,
            domains: o.domains,
            provider: o.provider,
        })
        .collect();
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &OrganisationsPage {
            chrome: who.chrome,
            done,
            errors,
            organisations,
            name: typed.0,
            provider_fields: &PROVIDER_FIELDS,
            callback_url: format!(
                "{}{}",
                state.settings.public_url(),
                crate::use_cases::single_sign_on::CALLBACK_PATH
            ),
            kinds: ORG_KINDS
                .iter()
                .map(|(k, l)| Option_ {
                    value: k.to_string(),
                    label: l.to_string(),
                    selected: *k == typed.1,
                })
                .collect(),
        },
    )
}

/// Adds an email domain to an organisation's allow-list.
#[post("/admin/organisations/domains")]
pub async fn add_domain(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let org = f.get("organisation_id").parse::<i32>().unwrap_or(0);
    let domain = f.get("domain").to_string();
    match uc::add_domain(&state, &who.viewer, org, &domain).await {
        Ok(()) => Ok(see_other("/admin/organisations?done=domain")),
        Err(e) => {
            let ids = [("domain", "domain"), ("organisation_id", "domain")];
            let errors = match (&e, FormErrors::from_api(&e, &ids)) {
                (_, Some(errors)) => errors,
                (ApiError::Conflict(why), None) => {
                    let mut errors = FormErrors::default();
                    errors.add("domain", super::errors::capitalise(why));
                    errors
                }
                (_, None) => return Err(PageError::Api(e)),
            };
            organisations_page(&state, who, None, errors, (String::new(), String::new())).await
        }
    }
}

/// Registers an organisation's own sign-in service (the form asks for the admin's password).
#[post("/admin/organisations/sign-in")]
pub async fn put_provider(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let errors = match super::password_again::given(&state, &req, &f) {
        Err(errors) => errors,
        Ok(it) => {
            let typed = |name: &str| Some(f.get(name).trim().to_string()).filter(|v| !v.is_empty());
            let new = crate::use_cases::identity_providers::NewProvider {
                issuer: typed("issuer"),
                tenant_id: typed("tenant_id"),
                client_id: f.get("client_id").to_string(),
                client_secret: f.get("client_secret").to_string(),
                auto_admit: f.opt("auto_admit").is_some(),
            };
            let org = f.get("organisation_id").parse::<i32>().unwrap_or(0);
            let v = &who.viewer;
            match uc::put_identity_provider(&state, v, org, new, it.password, &it.client_addr).await
            {
                Ok(()) => return Ok(see_other("/admin/organisations?done=sign-in")),
                Err(e) => {
                    let ids = [
                        ("password", "password"),
                        ("issuer", "issuer"),
                        ("tenant_id", "tenant_id"),
                        ("client_id", "client_id"),
                        ("client_secret", "client_secret"),
                        ("auto_admit", "auto_admit"),
                        ("organisation_id", "issuer"),
                    ];
                    FormErrors::from_api(&e, &ids).ok_or(PageError::Api(e))?
                }
            }
        }
    };
    organisations_page(&state, who, None, errors, Default::default()).await
}

#[derive(Template)]
#[template(path = "pages/admin/sign_in_removal.html")]
struct SignInRemovalPage {
    chrome: Chrome,
    errors: FormErrors,
    id: i32,
    name: String,
}

async fn sign_in_removal_page(
    state: &AppState,
    who: SignedIn,
    id: i32,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let name = uc::organisations(state, &who.viewer)
        .await?
        .into_iter()
        .find(|o| o.id == id && o.provider.is_some())
        .map(|o| o.name)
        .ok_or_else(ApiError::not_found)?;
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &SignInRemovalPage {
            chrome: who.chrome,
            errors,
            id,
            name,
        },
    )
}

/// Asks the admin's password before removing an organisation's own sign-in.
#[get("/admin/organisations/{id}/sign-in/remove")]
pub async fn confirm_provider_removal(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_from_path(&path)?;
    sign_in_removal_page(&state, who, id, FormErrors::default()).await
}

#[post("/admin/organisations/{id}/sign-in/remove")]
pub async fn remove_provider(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let id = id_from_path(&path)?;
    let v = &who.viewer;
    let removing = async |password, addr: String| {
        uc::remove_identity_provider(&state, v, id, password, &addr).await
    };
    let errors = match super::password_again::attempt(&state, &req, &f, removing).await? {
        Ok(()) => return Ok(see_other("/admin/organisations?done=sign-in-removed")),
        Err(errors) => errors,
    };
    sign_in_removal_page(&state, who, id, errors).await
}

#[post("/admin/organisations/domains/remove")]
pub async fn remove_domain(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    uc::remove_domain(&state, &who.viewer, f.get("domain")).await?;
    Ok(see_other("/admin/organisations?done=domain-removed"))
}

#[get("/admin/organisations")]
pub async fn show_organisations(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = done_message(asked.done.as_deref());
    organisations_page(&state, who, done, FormErrors::default(), Default::default()).await
}

#[post("/admin/organisations")]
pub async fn add_organisation(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let typed = (f.get("name").to_string(), f.get("kind").to_string());
    let mut errors = FormErrors::default();
    match typed.1.parse::<OrgKind>() {
        Err(_) => errors.add("kind", "Choose what kind of organisation it is"),
        Ok(kind) => match uc::add_organisation(&state, &who.viewer, &typed.0, kind).await {
            Ok(_) => return Ok(see_other("/admin/organisations?done=organisation")),
            Err(ApiError::Conflict(m)) => errors.add("name", super::errors::capitalise(&m)),
            Err(e) => {
                errors = FormErrors::from_api(&e, &[("display_name", "name")])
                    .ok_or(PageError::Api(e))?
            }
        },
    }
    organisations_page(&state, who, None, errors, typed).await
}

// ---- Spaces -------------------------------------------------------------------------------

struct SpaceRow {
    slug: String,
    name: String,
    readers: String,
    posters: String,
    members_only: bool,
    archived: bool,
}

fn role_list(raw: &str) -> String {
    raw.split(',')
        .filter(|r| !r.trim().is_empty())
        .map(|r| role_name(r.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "pages/admin/spaces.html")]
struct SpacesPage {
    chrome: Chrome,
    done: Option<&'static str>,
    spaces: Vec<SpaceRow>,
}

#[get("/admin/spaces")]
pub async fn show_spaces(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let spaces = use_cases::spaces::all_for_admin(&state, &who.viewer)
        .await?
        .into_iter()
        .map(|s| SpaceRow {
            readers: role_list(&s.read_roles),
            posters: role_list(&s.post_roles),
            slug: s.slug,
            name: s.name,
            members_only: s.members_only,
            archived: s.archived,
        })
        .collect();
    render::page(
        &state,
        &SpacesPage {
            chrome: who.chrome,
            done: done_message(asked.done.as_deref()),
            spaces,
        },
    )
}

pub struct RoleBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// What the space form shows: a new space (no `existing`) or one being changed.
#[derive(Template)]
#[template(path = "pages/admin/space_form.html")]
struct SpaceForm {
    chrome: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    existing: Option<String>,
    slug: String,
    name: String,
    description: String,
    read: Vec<RoleBox>,
    post: Vec<RoleBox>,
    members_only: bool,
    members: String,
    archived: bool,
}

fn boxes(checked: &[&str]) -> Vec<RoleBox> {
    ROLES
        .iter()
        .map(|r| RoleBox {
            value: r,
            label: role_name(r),
            checked: checked.contains(r),
        })
        .collect()
}

fn space_form(
    state: &AppState,
    chrome: Chrome,
    existing: Option<String>,
    f: &Fields,
    errors: FormErrors,
    done: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let status = errors.status();
    render::page_with_status(
        state,
        status,
        &SpaceForm {
            chrome,
            done,
            errors,
            existing,
            slug: f.get("slug").to_string(),
            name: f.get("name").to_string(),
            description: f.get("description").to_string(),
            read: boxes(&f.all("read_roles")),
            post: boxes(&f.all("post_roles")),
            members_only: f.has("members_only"),
            members: f.get("members").to_string(),
            archived: f.has("archived"),
        },
    )
}

/// The member list typed one address a line (or separated by commas).
fn member_lines(raw: &str) -> Vec<String> {
    raw.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn owned(v: Vec<&str>) -> Vec<String> {
    v.into_iter().map(String::from).collect()
}

const SPACE_FIELDS: [(&str, &str); 6] = [
    ("slug", "slug"),
    ("name", "name"),
    ("read_roles", "read_roles"),
    ("post_roles", "post_roles"),
    ("members", "members"),
    ("description", "description"),
];

#[get("/admin/spaces/new")]
pub async fn new_space(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    uc::may_manage_spaces(&who.viewer)?;
    let defaults = Fields::from_pairs(&[
        ("read_roles", "chief_officer"),
        ("read_roles", "pcc"),
        ("read_roles", "staff"),
        ("post_roles", "chief_officer"),
        ("post_roles", "pcc"),
        ("post_roles", "staff"),
    ]);
    space_form(
        &state,
        who.chrome,
        None,
        &defaults,
        FormErrors::default(),
        None,
    )
}

#[post("/admin/spaces/new")]
pub async fn create_space(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let result = use_cases::spaces::create(&state, &who.viewer, || {
        Ok(NewSpace {
            slug: Slug::parse(f.get("slug")).map_err(|e| ApiError::validation("slug", e.0))?,
            name: f.get("name").to_string(),
            description: f.get("description").to_string(),
            read_roles: roles("read_roles", &owned(f.all("read_roles")))?,
            post_roles: roles("post_roles", &owned(f.all("post_roles")))?,
            members: if f.has("members_only") {
                Some(emails(&member_lines(f.get("members")))?)
            } else {
                None
            },
            archived: false,
        })
    })
    .await;
    match result {
        Ok(created) => Ok(see_other(&format!(
            "/admin/spaces/{}?done=space",
            created.slug
        ))),
        Err(ApiError::Conflict(m)) => {
            let mut errors = FormErrors::default();
            errors.add("slug", super::errors::capitalise(&m));
            space_form(&state, who.chrome, None, &f, errors, None)
        }
        Err(e) => {
            let errors = FormErrors::from_api(&e, &SPACE_FIELDS).ok_or(PageError::Api(e))?;
            space_form(&state, who.chrome, None, &f, errors, None)
        }
    }
}

fn fields_of(s: &space::Model, members: &[String]) -> Fields {
    let mut pairs: Vec<(String, String)> = vec![
        ("slug".into(), s.slug.clone()),
        ("name".into(), s.name.clone()),
        ("description".into(), s.description.clone()),
        ("members".into(), members.join("\n")),
    ];
    for r in s.read_roles.split(',').filter(|r| !r.is_empty()) {
        pairs.push(("read_roles".into(), r.trim().to_string()));
    }
    for r in s.post_roles.split(',').filter(|r| !r.is_empty()) {
        pairs.push(("post_roles".into(), r.trim().to_string()));
    }
    if s.members_only {
        pairs.push(("members_only".into(), "on".into()));
    }
    if s.archived {
        pairs.push(("archived".into(), "on".into()));
    }
    Fields::from_owned(pairs)
}

#[get("/admin/spaces/{slug}")]
pub async fn edit_space(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let found = use_cases::spaces::one_for_admin(&state, &who.viewer, &slug).await?;
    let f = fields_of(&found.space, &found.members);
    let done = done_message(asked.done.as_deref());
    let existing = Some(found.space.slug);
    space_form(
        &state,
        who.chrome,
        existing,
        &f,
        FormErrors::default(),
        done,
    )
}

#[post("/admin/spaces/{slug}")]
pub async fn change_space(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = opened(&state, &who, form)?;
    let result = use_cases::spaces::change(&state, &who.viewer, &slug, |_| {
        Ok(SpaceChanges {
            name: Some(f.get("name").to_string()),
            description: Some(f.get("description").to_string()),
            read_roles: Some(roles("read_roles", &owned(f.all("read_roles")))?),
            post_roles: Some(roles("post_roles", &owned(f.all("post_roles")))?),
            members: Some(if f.has("members_only") {
                Some(emails(&member_lines(f.get("members")))?)
            } else {
                None
            }),
            archived: Some(f.has("archived")),
        })
    })
    .await;
    match result {
        Ok(changed) => Ok(see_other(&format!(
            "/admin/spaces/{}?done=space",
            changed.slug
        ))),
        Err(e) => {
            let errors = FormErrors::from_api(&e, &SPACE_FIELDS).ok_or(PageError::Api(e))?;
            space_form(
                &state,
                who.chrome,
                Some(slug.into_inner()),
                &f,
                errors,
                None,
            )
        }
    }
}

// ---- Audit log and mail queue ---------------------------------------------------------------

struct AuditItem {
    actor: String,
    action: String,
    target: String,
    detail: String,
    when: String,
    when_iso: String,
}

#[derive(Template)]
#[template(path = "pages/admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    errors: FormErrors,
    actor: String,
    action: String,
    from: String,
    until: String,
    entries: Vec<AuditItem>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    until: Option<String>,
    before: Option<String>,
}

fn day(
    raw: Option<&str>,
    field: &str,
    errors: &mut FormErrors,
    end: bool,
) -> Option<chrono::DateTime<Utc>> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => {
            let d = if end { d.succ_opt()? } else { d };
            Utc.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single()
        }
        Err(_) => {
            errors.add(field, "Enter a date such as 2026-12-01");
            None
        }
    }
}

#[get("/admin/audit")]
pub async fn show_audit(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let q: AuditQuery = query(&req)?;
    let mut errors = FormErrors::default();
    let filter = AuditFilter {
        actor: q.actor.clone(),
        action: q.action.clone(),
        from: day(q.from.as_deref(), "from", &mut errors, false),
        until: day(q.until.as_deref(), "until", &mut errors, true),
        before_id: q.before.as_deref().and_then(|b| b.parse().ok()),
    };
    let (rows, next) = if errors.is_empty() {
        match uc::audit_log(&state, &who.viewer, filter, 50).await {
            Ok(found) => found,
            Err(e) => {
                errors =
                    FormErrors::from_api(&e, &[("actor", "actor")]).ok_or(PageError::Api(e))?;
                (Vec::new(), None)
            }
        }
    } else {
        uc::may_read_audit_log(&who.viewer)?;
        (Vec::new(), None)
    };
    let keep = |v: &Option<String>| v.clone().unwrap_or_default();
    let next = next.map(|id| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &q.actor),
            ("action", &q.action),
            ("from", &q.from),
            ("until", &q.until),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                url.append_pair(k, v);
            }
        }
        url.append_pair("before", &id.to_string());
        format!("/admin/audit?{}", url.finish())
    });
    let status = errors.status();
    render::page_with_status(
        &state,
        status,
        &AuditPage {
            chrome: who.chrome,
            errors,
            actor: keep(&q.actor),
            action: keep(&q.action),
            from: keep(&q.from),
            until: keep(&q.until),
            entries: rows
                .into_iter()
                .map(|r| AuditItem {
                    when: when(r.at),
                    when_iso: iso(r.at),
                    actor: r.actor,
                    action: r.action,
                    target: r.target,
                    detail: r.detail,
                })
                .collect(),
            next,
        },
    )
}

struct MailRow {
    kind: String,
    status: String,
    attempts: i32,
    error: String,
    when: String,
}

#[derive(Template)]
#[template(path = "pages/admin/mail.html")]
struct MailPage {
    chrome: Chrome,
    by_status: Vec<(String, u64)>,
    troubled: Vec<MailRow>,
}

#[get("/admin/mail")]
pub async fn show_mail(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    let q = uc::mail_queue(&state, &who.viewer).await?;
    render::page(
        &state,
        &MailPage {
            chrome: who.chrome,
            by_status: q.by_status,
            troubled: q
                .troubled
                .into_iter()
                .map(|j| MailRow {
                    kind: j.kind,
                    status: j.status,
                    attempts: j.attempts,
                    error: j.last_error.unwrap_or_default(),
                    when: when(j.updated_at),
                })
                .collect(),
        },
    )
}
