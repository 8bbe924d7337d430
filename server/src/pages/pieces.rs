//! Pages made of a frame rendered for each request and pieces rendered once and kept (a
//! thread's posts). The frame holds a slot where each piece goes; the answer joins them, and
//! when the browser takes gzip, sends the kept pieces' compressed copies between the frame's
//! parts (see `crate::gzip`).
use super::errors::PageError;
use super::render;
use crate::gzip::{GzipBody, Kept};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::web::{BufMut, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use std::sync::LazyLock;

/// The comments that mark slots in a rendered frame. They hold a name drawn at random when the
/// process starts, so no text shown in the frame can forge one; escaped text cannot hold
/// `<!--` at all.
static SLOTS: LazyLock<[String; 2]> = LazyLock::new(|| {
    let name = crate::auth::random_token();
    [
        format!("<!--rt-slot-0-{name}-->"),
        format!("<!--rt-slot-1-{name}-->"),
    ]
});

/// Each slot's marker, prepared for a fast search.
static FINDERS: LazyLock<[memchr::memmem::Finder<'static>; 2]> = LazyLock::new(|| {
    [
        memchr::memmem::Finder::new(SLOTS[0].as_bytes()),
        memchr::memmem::Finder::new(SLOTS[1].as_bytes()),
    ]
});

/// The marker for the frame's `n`th slot (0 or 1), to be written with `|safe`.
pub fn slot(n: usize) -> &'static str {
    &SLOTS[n.min(1)]
}

/// Answers 200 with `frame` whose slots, in order, are filled with `pieces`.
pub fn respond(
    state: &AppState,
    req: &HttpRequest,
    frame: &str,
    pieces: &[&Kept],
) -> Result<HttpResponse, PageError> {
    let mut parts = Vec::with_capacity(pieces.len());
    let mut rest = frame;
    for (n, _) in pieces.iter().enumerate() {
        let at = FINDERS[n.min(1)].find(rest.as_bytes()).ok_or_else(|| {
            PageError::Api(anyhow::anyhow!("the page's frame has no slot {n}").into())
        })?;
        // The marker is ASCII, so both ends are character boundaries.
        parts.push(&rest[..at]);
        rest = &rest[at + slot(n).len()..];
    }
    let size = frame.len() + pieces.iter().map(|p| p.as_str().len()).sum::<usize>();
    let gzip = crate::gzip::accepted(req.headers());
    let body = if gzip {
        let mut body = GzipBody::with_capacity(frame.len() + size / 3);
        for (part, piece) in parts.iter().zip(pieces) {
            body.stored(part.as_bytes());
            body.deflated(piece.gzip());
        }
        body.stored(rest.as_bytes());
        body.finish()
    } else {
        let mut body = BytesMut::with_capacity(size);
        for (part, piece) in parts.iter().zip(pieces) {
            body.put_slice(part.as_bytes());
            body.put_slice(piece.as_str().as_bytes());
        }
        body.put_slice(rest.as_bytes());
        body.freeze()
    };
    let mut response = HttpResponse::build(StatusCode::OK);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, render::csp(state)))
        .insert_header((header::VARY, "Accept-Encoding"));
    if gzip {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
    }
    Ok(response.body(body))
}
