//! The OpenAPI 3 document of `/api/v1`, generated from the handlers' annotations, and the
//! schemas of request fields whose rules a bare type cannot say (patterns, lengths, enums), so
//! that a request the document calls valid is one the server accepts.
use crate::settings::Limits;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// `POST /auth/refresh` may be sent without a body (the refresh cookie is used then), but a
/// body that is sent must be the object, not `null`.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::PathItem;
        type Pick = fn(&mut PathItem) -> Option<&mut utoipa::openapi::path::Operation>;
        let optional: [(&str, Pick); 5] = [
            ("/api/v1/auth/refresh", |item| item.post.as_mut()),
            ("/api/v1/me/totp", |item| item.post.as_mut()),
            ("/api/v1/me/totp", |item| item.delete.as_mut()),
            ("/api/v1/me/export", |item| item.post.as_mut()),
            ("/api/v1/users/{id}/second-factor/reset", |item| {
                item.post.as_mut()
            }),
        ];
        for (path, operation) in optional {
            let body = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(operation)
                .and_then(|op| op.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Roundtable API", version = "1", description = "Threaded discussions for UK police leaders. \
        Errors are always {\"error\": {\"code\", \"message\", \"field\"?}}. Send the access token as \
        `Authorization: Bearer …` or the access cookie; a write made with the cookie must come from \
        Roundtable's own site and carry the session's `X-CSRF-Token` header. Request bodies are JSON \
        (`Content-Type: application/json`, else 415) and refuse unknown fields (400), except uploads, \
        which are `multipart/form-data` with a `file` field. A method a path \
        does not list answers 405 with `Allow`."),
    paths(
        super::health::healthz, super::health::readyz, document,
        super::auth::login, super::auth::refresh, super::auth::csrf_token, super::auth::logout, super::auth::change_password,
        super::auth::second_factor, super::auth::second_factor_setup, super::second_factor::start, super::second_factor::confirm, super::second_factor::turn_off,
        super::passkeys::adding_options, super::passkeys::add, super::passkeys::list, super::passkeys::remove,
        super::passkeys::sign_in_options, super::passkeys::sign_in,
        super::me::show, super::your_data::export, super::your_data::export_with_password, super::your_data::delete_account,
        super::directory::update_me, super::directory::organisations, super::directory::people, super::directory::profile,
        super::invitations::invite, super::invitations::show, super::invitations::accept,
        super::registrations::request, super::registrations::verify, super::registrations::waiting,
        super::registrations::approve, super::registrations::deny,
        super::users::disable, super::users::reset_second_factor,
        super::spaces::list, super::spaces::create, super::spaces::update,
        super::threads::list, super::threads::start, super::threads::show, super::threads::update,
        super::posts::reply, super::posts::show, super::posts::edit, super::posts::delete, super::posts::revisions, super::posts::preview,
        super::audit_log::list,
        super::search::search,
        super::documents::upload_to_library, super::documents::library, super::documents::attach_to_post,
        super::documents::add_version, super::documents::versions, super::documents::download,
        super::documents::show, super::documents::remove,
        super::best_practice::endorse_thread, super::best_practice::withdraw_thread,
        super::best_practice::endorse_document, super::best_practice::withdraw_document,
        super::best_practice::library,
        super::case_studies::start, super::case_studies::show, super::case_studies::update,
        super::case_studies::compare, super::case_studies::export,
        super::case_studies::areas, super::case_studies::add_area,
        super::preferences::show, super::preferences::update,
        super::unsubscribe::one_click, super::unsubscribe::confirm_page,
    ),
    modifiers(&BearerAuth, &OptionalBodies),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// This document, with the length and count rules of the running server's `limits`.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI 3 document", body = Object, content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    let doc = DOCUMENT.get_or_init(|| with_limits(&state.settings.limits));
    HttpResponse::Ok().json(doc)
}

/// The document with the title, body and tag rules of `limits` in place of the defaults.
pub fn with_limits(limits: &Limits) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    for (component, property, schema) in fields::limited(limits) {
        let pointer = format!("/components/schemas/{component}/properties/{property}");
        if let (Some(slot), Ok(value)) = (doc.pointer_mut(&pointer), serde_json::to_value(schema)) {
            *slot = value;
        }
    }
    no_nul_in_free_text(&mut doc);
    doc
}

/// Bodies, paths and queries refuse NUL everywhere (`json_body.rs`, `startup.rs`); strings the
/// schemas leave free (no pattern, format or enum) get a pattern that says so.
fn no_nul_in_free_text(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !["pattern", "format", "enum", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && free {
                map.insert("pattern".into(), serde_json::json!("^[^\\u0000]*$"));
            }
            for value in map.values_mut() {
                no_nul_in_free_text(value);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(no_nul_in_free_text),
        _ => {}
    }
}

/// `{"status": …}` from `/healthz` and `/readyz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok`, `ready` or `not ready`.
    #[schema(schema_with = fields::health_status)]
    pub status: String,
}

/// What a one-click unsubscribe stopped.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Unsubscribed {
    /// `weekly` or `notifications`.
    #[schema(schema_with = fields::mail_list)]
    pub unsubscribed: String,
    pub message: String,
}

/// Schemas for request fields with rules, used with `#[schema(schema_with = …)]`. Each says
/// exactly what the server's parser accepts: trimmed lengths, characters refused, enums.
pub mod fields {
    use crate::digest::unsubscribe::List;
    use crate::domain::{Marking, Role};
    use crate::settings::Limits;
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };

    /// The defaults in `config/default.toml`; the served document uses the running limits.
    pub const DEFAULT_TITLE_CHARS: usize = 200;
    pub const DEFAULT_POST_CHARS: usize = 100_000;
    pub const DEFAULT_TAGS: usize = 10;
    /// `domain::tag::MAX_TAG_CHARS`.
    const TAG_CHARS: usize = 40;

    /// What Rust's `str::trim` removes (Unicode White_Space), as a regex class body.
    const WHITESPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    /// What `char::is_control` refuses (Unicode Cc), as a regex class body.
    const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

    fn string(nullable: bool) -> ObjectBuilder {
        if nullable {
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        } else {
            ObjectBuilder::new().schema_type(Type::String)
        }
    }

    fn array(nullable: bool, items: Object) -> ArrayBuilder {
        let builder = ArrayBuilder::new().items(items);
        if nullable {
            builder.schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        } else {
            builder
        }
    }

    /// One line of text that, trimmed, holds 1 to `max` characters and no control character.
    fn one_line_pattern(max: usize) -> String {
        let (ws, cc) = (WHITESPACE, CONTROL);
        let middle = match max {
            0 | 1 => String::new(),
            n => format!("([^{cc}]{{0,{}}}[^{ws}{cc}])?", n - 2),
        };
        format!("^[{ws}]*[^{ws}{cc}]{middle}[{ws}]*$")
    }

    /// Text that, trimmed, holds 1 to `max` characters (any characters).
    fn not_blank_pattern(max: usize) -> String {
        let ws = WHITESPACE;
        let middle = match max {
            0 | 1 => String::new(),
            n => format!(r"([\s\S]{{0,{}}}[^{ws}])?", n - 2),
        };
        format!("^[{ws}]*[^{ws}]{middle}[{ws}]*$")
    }

    fn title_schema(max: usize, nullable: bool) -> Object {
        string(nullable)
            .pattern(Some(one_line_pattern(max)))
            .description(Some(format!(
                "One line; trimmed, 1 to {max} characters (`limits.title_chars`)."
            )))
            .build()
    }

    /// The length limit is in the description only: tools mishandle `maxLength` this large
    /// together with a pattern (schemathesis 4 then builds bodies that break the pattern).
    fn body_schema(max: usize) -> Object {
        let ws = WHITESPACE;
        string(false)
            .pattern(Some(format!(r"^[^\x00]*[^{ws}\x00][^\x00]*$")))
            .description(Some(format!(
                "Markdown: not blank, no NUL character, at most {max} characters \
                 (`limits.post_chars`; a longer one is 422)."
            )))
            .build()
    }

    fn tag_schema() -> Object {
        let ws = WHITESPACE;
        let max = TAG_CHARS;
        string(false)
            .pattern(Some(format!(
                r"^[{ws}]*[\p{{L}}\p{{N}}._-]{{1,{max}}}[{ws}]*$"
            )))
            .description(Some(format!(
                "Trimmed, 1 to {max} letters, digits, `-`, `_` or `.`; one repeated in another \
                 case is dropped."
            )))
            .build()
    }

    fn tags_schema(max: Option<usize>, nullable: bool) -> Schema {
        let mut builder = array(nullable, tag_schema());
        if let Some(max) = max {
            builder = builder
                .max_items(Some(max))
                .description(Some(format!("At most {max} tags (`limits.tags`).")));
        }
        builder.build().into()
    }

    /// The schemas that depend on `limits`, by component and property.
    pub fn limited(limits: &Limits) -> Vec<(&'static str, &'static str, Schema)> {
        let title = |nullable| Schema::Object(title_schema(limits.title_chars, nullable));
        let body = || Schema::Object(body_schema(limits.post_chars));
        vec![
            ("StartThread", "title", title(false)),
            ("UpdateThread", "title", title(true)),
            ("StartThread", "body", body()),
            ("ReplyRequest", "body", body()),
            ("EditRequest", "body", body()),
            ("PreviewRequest", "body", body()),
            ("StartThread", "tags", tags_schema(Some(limits.tags), false)),
            ("UpdateThread", "tags", tags_schema(Some(limits.tags), true)),
        ]
    }

    pub fn title() -> Object {
        title_schema(DEFAULT_TITLE_CHARS, false)
    }

    pub fn title_or_null() -> Object {
        title_schema(DEFAULT_TITLE_CHARS, true)
    }

    pub fn post_body() -> Object {
        body_schema(DEFAULT_POST_CHARS)
    }

    pub fn thread_tags() -> Schema {
        tags_schema(Some(DEFAULT_TAGS), false)
    }

    pub fn thread_tags_or_null() -> Schema {
        tags_schema(Some(DEFAULT_TAGS), true)
    }

    /// Followed tags: any number, or `null` for every tag.
    pub fn followed_tags() -> Schema {
        tags_schema(None, true)
    }

    fn slug_schema(nullable: bool) -> Object {
        string(nullable)
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
            .min_length(Some(2))
            .max_length(Some(64))
            .description(Some(
                "2 to 64 lower-case letters, digits and single hyphens, not at either end.",
            ))
            .build()
    }

    pub fn slug() -> Object {
        slug_schema(false)
    }

    pub fn slug_or_null() -> Object {
        slug_schema(true)
    }

    /// Space slugs to follow, or `null` for every space one can read.
    pub fn followed_spaces() -> Schema {
        array(true, slug_schema(false)).build().into()
    }

    fn space_name_schema(nullable: bool) -> Object {
        string(nullable)
            .pattern(Some(not_blank_pattern(120)))
            .description(Some("Trimmed, 1 to 120 characters."))
            .build()
    }

    pub fn space_name() -> Object {
        space_name_schema(false)
    }

    pub fn space_name_or_null() -> Object {
        space_name_schema(true)
    }

    pub fn display_name() -> Object {
        string(false)
            .pattern(Some(one_line_pattern(120)))
            .description(Some("One line; trimmed, 1 to 120 characters."))
            .build()
    }

    pub fn new_password() -> Object {
        use crate::auth::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
        string(false)
            .min_length(Some(MIN_PASSWORD_CHARS))
            .max_length(Some(MAX_PASSWORD_CHARS))
            .description(Some(format!(
                "{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
            )))
            .build()
    }

    fn email_schema() -> Object {
        string(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(254))
            .build()
    }

    pub fn email() -> Object {
        email_schema()
    }

    /// Emails of existing users (an unknown one is 422), or `null` for no change.
    pub fn member_emails() -> Schema {
        array(true, email_schema()).build().into()
    }

    fn role_schema() -> Object {
        string(false)
            .enum_values(Some(Role::ALL.iter().map(|r| r.as_str())))
            .build()
    }

    pub fn role() -> Object {
        role_schema()
    }

    fn portfolio_schema() -> Object {
        use crate::domain::portfolio::PORTFOLIOS;
        string(false)
            .enum_values(Some(PORTFOLIOS.iter().map(|(k, _)| *k)))
            .build()
    }

    pub fn portfolio() -> Object {
        portfolio_schema()
    }

    /// Portfolio keys from the managed list, or `null` to leave them as they are.
    pub fn portfolios_or_null() -> Schema {
        array(true, portfolio_schema()).build().into()
    }

    /// One line of at most 200 characters, or `null` to leave it as it is.
    pub fn job_title_or_null() -> Object {
        string(true)
            .max_length(Some(200))
            .pattern(Some(format!("^[^{CONTROL}]*$")))
            .build()
    }

    /// A list of roles holding at least one.
    pub fn some_roles() -> Schema {
        array(false, role_schema())
            .min_items(Some(1))
            .build()
            .into()
    }

    pub fn some_roles_or_null() -> Schema {
        array(true, role_schema()).min_items(Some(1)).build().into()
    }

    pub fn roles() -> Schema {
        array(false, role_schema()).build().into()
    }

    pub fn roles_or_null() -> Schema {
        array(true, role_schema()).build().into()
    }

    fn marking_schema(nullable: bool) -> Object {
        let mut values: Vec<serde_json::Value> = Marking::ALL
            .iter()
            .map(|m| serde_json::Value::from(m.as_str()))
            .collect();
        if nullable {
            values.push(serde_json::Value::Null);
        }
        string(nullable).enum_values(Some(values)).build()
    }

    pub fn marking() -> Object {
        marking_schema(false)
    }

    pub fn marking_or_null() -> Object {
        marking_schema(true)
    }

    pub fn weekday_or_null() -> Object {
        string(true)
            .enum_values(Some([
                serde_json::Value::from("monday"),
                "tuesday".into(),
                "wednesday".into(),
                "thursday".into(),
                "friday".into(),
                "saturday".into(),
                "sunday".into(),
                serde_json::Value::Null,
            ]))
            .build()
    }

    pub fn mail_list() -> Object {
        string(false)
            .enum_values(Some([List::Weekly.as_str(), List::Notifications.as_str()]))
            .build()
    }

    /// `?scope=` of a sign-out.
    pub fn logout_scope() -> Object {
        string(false).enum_values(Some(["all", "this"])).build()
    }

    /// `?sort=` of a search.
    pub fn sort_order() -> Object {
        string(false)
            .enum_values(Some(["relevance", "date"]))
            .build()
    }

    pub fn health_status() -> Object {
        string(false)
            .enum_values(Some(["ok", "ready", "not ready"]))
            .build()
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::routes::openapi::ApiDoc;
        use utoipa::OpenApi;

        #[test]
        fn limited_schemas_replace_existing_properties() {
            let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
            let limits: Limits = serde_json::from_value(serde_json::json!({
                "title_chars": 80, "post_chars": 500, "tags": 3, "body_bytes": 1024,
                "reply_depth": 8, "render_budget_ms": 100,
            }))
            .unwrap();
            for (component, property, _) in limited(&limits) {
                let pointer = format!("/components/schemas/{component}/properties/{property}");
                assert!(
                    doc.pointer(&pointer).is_some(),
                    "{pointer} is not in the document"
                );
            }
            let live = crate::routes::openapi::with_limits(&limits);
            let title = &live["components"]["schemas"]["StartThread"]["properties"]["title"];
            assert!(title["pattern"].as_str().unwrap().contains("{0,78}"));
            let tags = &live["components"]["schemas"]["UpdateThread"]["properties"]["tags"];
            assert_eq!(tags["maxItems"], 3);
        }

        #[test]
        fn patterns_name_the_limits() {
            assert!(one_line_pattern(200).contains("{0,198}"));
            assert!(!one_line_pattern(1).contains('{'));
            assert!(not_blank_pattern(120).contains("{0,118}"));
        }
    }
}
