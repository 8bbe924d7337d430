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

/// A slot in a rendered frame: a comment holding a name drawn at random when the process
/// starts, so no text shown in the frame can forge one (escaped text cannot hold `<!--` at
/// all), with its finder for a fast search.
struct Slot {
    marker: String,
    finder: memchr::memmem::Finder<'static>,
}

/// How many kept pieces a frame holds.
pub const SLOTS: usize = 2;

static SLOT_MARKERS: LazyLock<[Slot; SLOTS]> = LazyLock::new(|| {
    let name = crate::auth::random_token();
    std::array::from_fn(|n| {
        let marker = format!("<!--rt-slot-{n}-{name}-->");
        let finder = memchr::memmem::Finder::new(marker.as_bytes()).into_owned();
        Slot { marker, finder }
    })
});

/// The marker for the frame's `n`th slot, to be written with `|safe`.
pub fn slot(n: usize) -> &'static str {
    &SLOT_MARKERS[n].marker
}

/// Answers 200 with `frame` whose slots, in order, are filled with `pieces`.
pub fn respond(
    state: &AppState,
    req: &HttpRequest,
    frame: &str,
    pieces: [&Kept; SLOTS],
) -> Result<HttpResponse, PageError> {
    let mut parts = Vec::with_capacity(SLOTS);
    let mut rest = frame;
    for (n, slot) in SLOT_MARKERS.iter().enumerate() {
        let at = slot.finder.find(rest.as_bytes()).ok_or_else(|| {
            PageError::Api(anyhow::anyhow!("the page's frame has no slot {n}").into())
        })?;
        // The marker is ASCII, so both ends are character boundaries.
        parts.push(&rest[..at]);
        rest = &rest[at + slot.marker.len()..];
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
    let mut response = render::html_response(StatusCode::OK, &render::csp(state));
    response.insert_header((header::VARY, "Accept-Encoding"));
    if gzip {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
    }
    Ok(response.body(body))
}
