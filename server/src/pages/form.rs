//! A submitted HTML form: `application/x-www-form-urlencoded`, within the body limit, no NUL,
//! and — before any field can be read — the `csrf_token` field checked against the session
//! (or, on the sign-in form, against the pre-session cookie).
use super::errors::PageError;
use crate::auth::csrf::CsrfKey;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use std::future::Future;
use std::pin::Pin;

/// The form as sent; its fields open only through a CSRF check.
pub struct Submitted {
    fields: Vec<(String, String)>,
}

/// The fields of a form whose token was right.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

fn expired() -> PageError {
    PageError::Api(ApiError::Forbidden(
        "this form has expired or did not come from Roundtable: go back, reload the page \
         and try again"
            .into(),
    ))
}

impl Submitted {
    fn token(&self) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Opens a signed-in person's form.
    pub fn verified(self, key: &CsrfKey, session_id: &str) -> Result<Fields, PageError> {
        if key.verify(session_id, self.token()) {
            Ok(Fields(self.fields))
        } else {
            Err(expired())
        }
    }

    /// Opens the sign-in form, whose token is bound to the pre-session cookie.
    pub fn verified_before_sign_in(
        self,
        key: &CsrfKey,
        pre_session: Option<&str>,
    ) -> Result<Fields, PageError> {
        match pre_session {
            Some(value) if !value.is_empty() => {
                self.verified(key, &super::auth::pre_session_id(value))
            }
            _ => Err(expired()),
        }
    }
}

impl Fields {
    /// Values to fill a form with before anything is sent (defaults, or what is stored).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub fn from_owned(pairs: Vec<(String, String)>) -> Self {
        Fields(pairs)
    }

    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.opt(name).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field sent more than once (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.opt(name).is_some()
    }
}

async fn read(req: HttpRequest, mut payload: Payload) -> Result<Submitted, PageError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Api(ApiError::Internal(anyhow::anyhow!("no app state"))))?;
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(PageError::Api(ApiError::UnsupportedMediaType(
            "send the form as application/x-www-form-urlencoded".into(),
        )));
    }
    let limit = state.settings.limits.body_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("could not read the form: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(PageError::Api(ApiError::PayloadTooLarge { limit }));
        }
        body.extend_from_slice(&chunk);
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.replace("\r\n", "\n")))
        .collect();
    if fields
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(PageError::Api(ApiError::bad_request(
            "the form must not contain NUL characters",
        )));
    }
    Ok(Submitted { fields })
}

impl FromRequest for Submitted {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(read(req.clone(), payload.take()))
    }
}

/// What was wrong with a form, field by field, for the summary at the top and the message
/// beside each field. `field` is the id of the input, so the summary links to it.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub list: Vec<FieldError>,
}

#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FormErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.list.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The status of a page showing the form: 422 when something is wrong with it.
    pub fn status(&self) -> actix_web::http::StatusCode {
        if self.is_empty() {
            actix_web::http::StatusCode::OK
        } else {
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.list.iter().any(|e| e.field == field)
    }

    pub fn message(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The form's errors from a use case's refusal of one field; `None` when the refusal is
    /// not about a field the person can correct (it becomes an error page instead).
    pub fn from_api(err: &ApiError, field_ids: &[(&str, &str)]) -> Option<Self> {
        let (field, message) = match err {
            ApiError::Validation {
                field: Some(f),
                message,
            }
            | ApiError::BadRequest {
                field: Some(f),
                message,
            } => (f.as_str(), message),
            _ => return None,
        };
        let id = field_ids
            .iter()
            .find(|(api, _)| *api == field)
            .map(|(_, id)| *id)?;
        let mut errors = FormErrors::default();
        errors.add(id, super::errors::capitalise(message));
        Some(errors)
    }
}
