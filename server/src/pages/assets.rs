//! The stylesheet and script, built once from `server/web/` and committed, embedded in the
//! binary and served under a name that holds a hash of their content, so browsers may keep
//! them for a year and a new build is fetched at once.
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    url: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Self {
        let hash = hex::encode(Sha256::digest(bytes));
        Asset {
            url: format!("/assets/{stem}.{}.{ext}", &hash[..16]),
            bytes,
            content_type,
        }
    }
}

static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "roundtable",
        "css",
        include_bytes!("../../assets/roundtable.css"),
        "text/css; charset=utf-8",
    )
});

static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "roundtable",
        "js",
        include_bytes!("../../assets/roundtable.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The stylesheet's address, with its content hash.
pub fn stylesheet_url() -> &'static str {
    &STYLESHEET.url
}

/// The script's address, with its content hash.
pub fn script_url() -> &'static str {
    &SCRIPT.url
}

#[get("/assets/{file}")]
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let path = format!("/assets/{file}");
    match [&*STYLESHEET, &*SCRIPT].into_iter().find(|a| a.url == path) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes),
        None => super::errors::not_found_page(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_addresses_carry_a_content_hash() {
        assert!(stylesheet_url().starts_with("/assets/roundtable."));
        assert!(stylesheet_url().ends_with(".css"));
        assert_eq!(stylesheet_url().len(), "/assets/roundtable..css".len() + 16);
        assert_ne!(stylesheet_url(), script_url());
    }
}
