//! The one place where errors become HTTP responses: `{"error": {"code", "message", "field"?}}`.
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// What a handler can fail with. The user's mistakes carry a message written for them;
/// our own failures carry the cause, which is logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid token, or the session behind it was revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// The viewer may see the thing but not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// It does not exist, or the viewer may not read it (the two are indistinguishable).
    #[error("{0}")]
    NotFound(String),
    /// The request could not be read (bad JSON, wrong types, bad path or query).
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// The request was read but a value breaks a rule (length, format, unknown reference).
    #[error("{message}")]
    Validation {
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Conflict(String),
    /// A link or token that was valid once and no longer is.
    #[error("{0}")]
    Gone(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// An uploaded file over its limit, with the limit in words.
    #[error("{0}")]
    FileTooLarge(String),
    /// A person's allowance (uploads a day) is used up.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Something the request needs is down for now (the virus scanner); nothing was saved.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    /// A service we depend on (the mail server) failed.
    #[error("{0}")]
    Upstream(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found() -> Self {
        ApiError::NotFound("not found".into())
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            field: None,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::Conflict(_) => "conflict",
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge { .. } | ApiError::FileTooLarge(_) => "payload_too_large",
            ApiError::QuotaExceeded(_) => "quota_exceeded",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Upstream(_) => "upstream_failed",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    #[track_caller]
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Internal(anyhow::Error::new(err))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. } | ApiError::FileTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::QuotaExceeded(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let field = match self {
            ApiError::BadRequest { field, .. } | ApiError::Validation { field, .. } => {
                field.clone()
            }
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Unauthenticated(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                field,
            },
        })
    }
}

/// Turns actix's own extractor failures (JSON, path, query) into our error shape.
pub mod extractors {
    use super::ApiError;
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::HttpRequest;

    pub fn json(
        limit: usize,
    ) -> impl Fn(JsonPayloadError, &HttpRequest) -> actix_web::Error + Clone {
        move |err, _req| {
            let api = match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::PayloadTooLarge { limit }
                }
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ),
                JsonPayloadError::Deserialize(e) => {
                    ApiError::bad_request(format!("invalid JSON body: {e}"))
                }
                other => ApiError::bad_request(format!("could not read the request body: {other}")),
            };
            api.into()
        }
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::bad_request(format!("invalid path: {err}")).into()
    }

    pub fn query(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::bad_request(format!("invalid query string: {err}")).into()
    }
}

/// The response for any URL that matches no route: 405 with `Allow` when the path is one we
/// serve but not with this method, otherwise 404.
pub async fn no_route(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    let Some(methods) = crate::routes::method_not_allowed::allowed_methods(req.path()) else {
        if !req.path().starts_with("/api/") {
            return Ok(crate::pages::errors::not_found_page());
        }
        return Err(ApiError::not_found());
    };
    if methods.contains(&req.method().as_str()) {
        // The method is right but the path's parameter is not one a route takes.
        return Err(ApiError::not_found());
    }
    let allow = methods.join(", ");
    Ok(HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow.clone()))
        .json(ErrorBody {
            error: ErrorDetail {
                code: "method_not_allowed".into(),
                message: format!("{} is not allowed here; allowed: {allow}", req.method()),
                field: None,
            },
        }))
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(err: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match err {
            E::OrganisationExists(_) | E::UserExists(_) | E::DomainTaken(..) => {
                ApiError::Conflict(err.to_string())
            }
            E::InvalidDomain(_) => ApiError::validation("domain", err.to_string()),
            E::NoSuchOrganisation(_) => ApiError::validation("organisation_id", err.to_string()),
            E::NoSuchUser(_) => ApiError::not_found(),
            E::WeakPassword(_) => ApiError::validation("password", err.to_string()),
            E::InvalidName(_) => ApiError::validation("display_name", err.to_string()),
            E::InvitationUnknown => ApiError::NotFound(err.to_string()),
            E::InvitationUsed | E::InvitationExpired => ApiError::Gone(err.to_string()),
            E::NotAllowed(_) => ApiError::Forbidden(err.to_string()),
            E::Mail(ref cause) => {
                tracing::error!(error = %cause, "sending an invitation failed");
                ApiError::Upstream(err.to_string())
            }
            E::Db(e) => ApiError::Internal(e.into()),
            E::Other(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::oidc::OidcError> for ApiError {
    fn from(err: crate::oidc::OidcError) -> Self {
        use crate::oidc::OidcError as E;
        match err {
            E::Unreachable(_) => ApiError::Upstream(err.to_string()),
            E::Refused(_) | E::Rejected(_) => ApiError::Unauthenticated(err.to_string()),
        }
    }
}

impl From<crate::forum::input::InputError> for ApiError {
    fn from(err: crate::forum::input::InputError) -> Self {
        ApiError::validation(err.field, err.message)
    }
}

impl From<crate::forum::input::RenderFailure> for ApiError {
    fn from(err: crate::forum::input::RenderFailure) -> Self {
        use crate::forum::input::RenderFailure as F;
        match err {
            F::Refused(refusal) => ApiError::validation("body", refusal.to_string()),
            F::Task(_) => ApiError::Internal(anyhow::Error::new(err)),
        }
    }
}

impl From<crate::permissions::AccessError> for ApiError {
    fn from(err: crate::permissions::AccessError) -> Self {
        use crate::permissions::AccessError as E;
        match err {
            E::Hidden => ApiError::not_found(),
            E::Forbidden(why) => ApiError::Forbidden(why.to_string()),
            E::BadStoredData(_) | E::Db(_) => ApiError::Internal(anyhow::Error::new(err)),
        }
    }
}

/// An error and every cause under it, on one line: `building the digest: reading the
/// database: connection refused`. For errors kept in the database or shown to operators.
pub fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

impl From<crate::spaces::SpaceError> for ApiError {
    fn from(err: crate::spaces::SpaceError) -> Self {
        use crate::spaces::SpaceError as E;
        match err {
            E::Exists(_) => ApiError::Conflict(err.to_string()),
            E::UnknownMember(_) => ApiError::validation("members", err.to_string()),
            E::Invalid { field, message } => ApiError::validation(field, message),
            E::Db(e) => e.into(),
        }
    }
}
