//! The span every request is logged in. Unlike the stock one it never records a secret: path
//! segments that look like tokens (invitation and unsubscribe links) are redacted, the query
//! string is left out, and the client address is the one `client_addr` trusts, never a
//! header the client chose.
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{web, Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

pub struct RedactingSpan;

/// A segment long enough and random-looking enough to be a token: at least 20 characters of
/// the URL-safe token alphabet (or a signed `ID.MAC`), with a digit or mixed case.
fn looks_like_token(segment: &str) -> bool {
    segment.len() >= 20
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '%' | '='))
        && (segment.chars().any(|c| c.is_ascii_digit())
            || (segment.chars().any(|c| c.is_ascii_uppercase())
                && segment.chars().any(|c| c.is_ascii_lowercase())))
}

/// The path with token-like segments replaced by `[redacted]`.
pub fn redacted_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if looks_like_token(segment) {
                "[redacted]"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn client_address(request: &ServiceRequest) -> String {
    let proxies = request
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.server.trusted_proxy_nets.as_slice())
        .unwrap_or_default();
    crate::client_addr::of_service_request(request, proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

fn request_id(request: &ServiceRequest) -> String {
    request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default()
}

impl RootSpanBuilder for RedactingSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // The fields are worked out only when the span is recorded (not below `info`).
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.target = %redacted_path(request.path()),
            client.address = %client_address(request),
            request_id = %request_id(request),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_paths_are_redacted() {
        assert_eq!(
            redacted_path("/api/v1/invitations/q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6j7K8l9Z0x1C"),
            "/api/v1/invitations/[redacted]"
        );
        assert_eq!(
            redacted_path("/api/v1/unsubscribe/weekly/42.AbCdEfGhIjKlMnOpQrStUv"),
            "/api/v1/unsubscribe/weekly/[redacted]"
        );
        assert_eq!(
            redacted_path("/api/v1/spaces/it-and-digital-transformation/threads"),
            "/api/v1/spaces/it-and-digital-transformation/threads"
        );
        assert_eq!(
            redacted_path("/api/v1/threads/12345"),
            "/api/v1/threads/12345"
        );
    }
}
