//! The OpenAPI 3 document of `/api/v1`, generated from the handlers' annotations.
use actix_web::{get, HttpResponse};
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

#[derive(OpenApi)]
#[openapi(
    info(title = "Roundtable API", version = "1", description = "Threaded discussions for UK police leaders. \
        Errors are always {\"error\": {\"code\", \"message\", \"field\"?}}. Send the access token as \
        `Authorization: Bearer …` or the rt_access cookie."),
    paths(
        super::health::healthz, super::health::readyz,
        super::auth::login, super::auth::refresh, super::auth::logout, super::auth::change_password,
        super::me::show,
        super::invitations::invite, super::invitations::show, super::invitations::accept,
        super::users::disable,
        super::spaces::list, super::spaces::create, super::spaces::update,
        super::threads::list, super::threads::start, super::threads::show, super::threads::update,
        super::posts::reply, super::posts::show, super::posts::edit, super::posts::delete, super::posts::revisions,
        super::audit_log::list,
        super::search::search,
        super::preferences::show, super::preferences::update, super::unsubscribe::one_click,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

#[get("/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
