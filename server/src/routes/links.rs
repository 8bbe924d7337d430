//! The addresses emails link to (`/threads/{id}`, `/spaces/{slug}`, `/settings/email`, `/`).
//! Until the web pages exist (the web issue), each redirects to the API resource holding the
//! same content, so every link in an email resolves.
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

#[get("/threads/{id}")]
pub async fn thread(id: web::Path<String>) -> HttpResponse {
    see_other(format!(
        "/api/v1/threads/{}",
        super::id_from_path(&id).unwrap_or(0)
    ))
}

#[get("/spaces/{slug}")]
pub async fn space(slug: web::Path<String>) -> HttpResponse {
    let slug: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    see_other(format!("/api/v1/spaces/{slug}/threads"))
}

#[get("/settings/email")]
pub async fn email_settings() -> HttpResponse {
    see_other("/api/v1/me/preferences".into())
}

#[get("/")]
pub async fn home() -> HttpResponse {
    see_other("/api/v1/spaces".into())
}
