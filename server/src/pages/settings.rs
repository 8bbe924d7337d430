//! `/settings`: one's account at a glance, the email settings (`/settings/email`, where the
//! digest links), and changing one's password.
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::{password_hint, role_name};
use crate::auth::sessions;
use crate::digest::preferences::weekday_name;
use crate::state::AppState;
use crate::use_cases;
use crate::use_cases::preferences::{DigestEdit, PreferencesEdit};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    name: String,
    email: String,
    role: &'static str,
    done: Option<&'static str>,
    two_step_on: bool,
    organisation_linked: bool,
    /// Whether they answer requests for accounts (chief officers, PCCs, admins).
    sponsors: bool,
}

#[get("/settings")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let two_step_on = use_cases::second_factor::has_second_factor(&state.db, who.viewer.id).await?;
    render::page(
        &state,
        &SettingsPage {
            two_step_on,
            organisation_linked: !use_cases::single_sign_on::linked(&state.db, who.viewer.id)
                .await?
                .is_empty(),
            sponsors: use_cases::registrations::sponsors(&who.viewer),
            name: who.viewer.display_name.clone(),
            email: who.viewer.email.clone(),
            role: role_name(who.viewer.role.as_str()),
            chrome: who.chrome,
            done: asked
                .done
                .filter(|d| d == "signed-out-elsewhere")
                .map(|_| "You are signed out on every other device."),
        },
    )
}

/// Ends every other session of the account; this one stays.
#[post("/settings/sign-out-elsewhere")]
pub async fn sign_out_elsewhere(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    sessions::revoke_others(
        &state.db,
        who.viewer.id,
        &who.viewer.session_id,
        chrono::Utc::now(),
    )
    .await?;
    Ok(see_other("/settings?done=signed-out-elsewhere"))
}

// ---- Email -----------------------------------------------------------------------------

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "pages/settings_email.html")]
struct EmailPage {
    chrome: Chrome,
    errors: FormErrors,
    saved: bool,
    digest_on: bool,
    days: Vec<Choice>,
    hours: Vec<Choice>,
    time_zone: String,
    all_spaces: bool,
    spaces: Vec<Choice>,
    tags: String,
    notify_replies: bool,
    notify_watched: bool,
    watching: Vec<(i32, String)>,
    muted: Vec<(i32, String)>,
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

async fn email_page(
    state: &AppState,
    who: SignedIn,
    errors: FormErrors,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let now = use_cases::preferences::current(state, &who.viewer).await?;
    let p = &now.prefs;
    let day = weekday_name(p.weekday);
    let status = errors.status();
    let page = EmailPage {
        chrome: who.chrome,
        errors,
        saved,
        digest_on: p.digest_enabled,
        days: DAYS
            .iter()
            .map(|d| Choice {
                value: d.to_string(),
                label: super::errors::capitalise(d),
                selected: *d == day,
            })
            .collect(),
        hours: (0..24)
            .map(|h| Choice {
                value: h.to_string(),
                label: format!("{h:02}:00"),
                selected: h == p.hour,
            })
            .collect(),
        time_zone: p.time_zone.name().to_string(),
        all_spaces: now.followed_spaces.is_none(),
        spaces: now
            .spaces
            .iter()
            .map(|(slug, name)| Choice {
                value: slug.clone(),
                label: name.clone(),
                selected: now
                    .followed_spaces
                    .as_ref()
                    .is_none_or(|f| f.contains(slug)),
            })
            .collect(),
        tags: p.follow_tags.as_deref().unwrap_or_default().join(", "),
        notify_replies: p.notify_replies,
        notify_watched: p.notify_watched,
        watching: now.watching,
        muted: now.muted,
    };
    render::page_with_status(state, status, &page)
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

#[get("/settings/email")]
pub async fn email(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Saved = query(&req)?;
    email_page(&state, who, FormErrors::default(), asked.saved.is_some()).await
}

#[post("/settings/email")]
pub async fn save_email(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let hour = match f.get("hour").parse::<u32>() {
        Ok(h) => h,
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.add("hour", "Choose the hour the digest should arrive");
            return email_page(&state, who, errors, false).await;
        }
    };
    let tags: Vec<String> = f
        .get("tags")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    let edit = PreferencesEdit {
        digest: Some(DigestEdit {
            enabled: Some(f.get("digest") == "on"),
            weekday: Some(f.get("weekday").to_string()),
            hour: Some(hour),
            time_zone: Some(f.get("time_zone").to_string()),
        }),
        follow_spaces: Some(if f.get("follow") == "all" {
            None
        } else {
            Some(f.all("spaces").into_iter().map(String::from).collect())
        }),
        follow_tags: Some((!tags.is_empty()).then_some(tags)),
        notify_replies: Some(f.has("notify_replies")),
        notify_watched: Some(f.has("notify_watched")),
        threads: Vec::new(),
    };
    match use_cases::preferences::update(&state, &who.viewer, edit).await {
        Ok(()) => Ok(see_other("/settings/email?saved=1")),
        Err(e) => {
            let ids = [
                ("digest.weekday", "weekday"),
                ("digest.hour", "hour"),
                ("digest.time_zone", "time_zone"),
                ("follow.spaces", "follow"),
                ("follow.tags", "tags"),
            ];
            match FormErrors::from_api(&e, &ids) {
                Some(errors) => email_page(&state, who, errors, false).await,
                None => Err(e.into()),
            }
        }
    }
}

// ---- Password ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/settings_password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: FormErrors,
    password_hint: String,
}

#[get("/settings/password")]
pub async fn password(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    render::page(
        &state,
        &PasswordPage {
            chrome: who.chrome,
            errors: FormErrors::default(),
            password_hint: password_hint(),
        },
    )
}

/// Changes the password; every session ends, this one included, and the person signs in
/// again with the new one.
#[post("/settings/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let mut errors = FormErrors::default();
    if f.get("current_password").is_empty() {
        errors.add("current_password", "Enter your current password");
    }
    if f.get("new_password") != f.get("confirm_password") {
        errors.add("confirm_password", "The new passwords do not match");
    }
    if errors.is_empty() {
        let ip = crate::client_addr::of_request(&req, &state.settings.server.trusted_proxy_nets)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        let result = use_cases::accounts::change_password(
            &state,
            &who.viewer,
            &ip,
            f.get("current_password").to_string(),
            f.get("new_password").to_string(),
        )
        .await;
        match result {
            Ok(()) => {
                return super::auth::to_sign_in_without_cookies(&state, "/login?changed=1");
            }
            Err(e) => {
                let ids = [
                    ("current_password", "current_password"),
                    ("new_password", "new_password"),
                ];
                errors = FormErrors::from_api(&e, &ids).ok_or(PageError::Api(e))?;
            }
        }
    }
    render::page_with_status(
        &state,
        StatusCode::UNPROCESSABLE_ENTITY,
        &PasswordPage {
            chrome: who.chrome,
            errors,
            password_hint: password_hint(),
        },
    )
}

// ---- Feeds ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/settings_feeds.html")]
struct FeedsPage {
    chrome: Chrome,
    done: bool,
    /// (space name, feed address) once the person has feed links.
    links: Option<Vec<(String, String)>>,
}

#[get("/settings/feeds")]
pub async fn feeds(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Saved = query(&req)?;
    let links = match use_cases::feeds::token(&state, &who.viewer).await? {
        None => None,
        Some(token) => {
            let base = state.settings.public_url();
            let spaces = use_cases::preferences::current(&state, &who.viewer)
                .await?
                .spaces;
            Some(
                spaces
                    .into_iter()
                    .map(|(slug, name)| (name, format!("{base}/feeds/{token}/spaces/{slug}")))
                    .collect(),
            )
        }
    };
    render::page(
        &state,
        &FeedsPage {
            chrome: who.chrome,
            done: asked.saved.is_some(),
            links,
        },
    )
}

/// Makes the person's feed links, or new ones that cut off the old.
#[post("/settings/feeds")]
pub async fn reset_feeds(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    use_cases::feeds::reset(&state, &who.viewer).await?;
    Ok(see_other("/settings/feeds?saved=1"))
}
