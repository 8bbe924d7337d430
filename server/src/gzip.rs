//! Bodies sent gzip-encoded without compressing anything per request.
//!
//! What every viewer of a thread shares (its rendered posts, its JSON) is compressed once, when
//! first asked for, and kept with the cached thread. What is made for one request (a page's
//! frame, with the viewer's name and CSRF token) is written uncompressed, in deflate's "stored"
//! blocks. Joined, the pieces are one valid gzip stream (RFC 1951 and 1952): each kept piece
//! ends with a sync flush, so it starts on a byte boundary and refers only to its own bytes.
//!
//! Leaving the per-request parts uncompressed also keeps them out of any compression window:
//! the CSRF token never shares one with text other people wrote, so a response's size says
//! nothing about it (the BREACH attack).
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{BufMut, Bytes, BytesMut};
use crc32fast::Hasher;
use flate2::write::DeflateEncoder;
use flate2::Compression;

/// A piece compressed once: raw deflate blocks ending in a sync flush (no final block), with
/// the CRC-32 and length of what it holds, and what putting it after other bytes does to
/// their CRC (so that joining costs no more per request than 32 XORs).
pub struct Deflated {
    data: Bytes,
    crc: u32,
    len: u64,
    shift: CrcShift,
}

/// The linear map that takes the CRC-32 of any text A to its part in the CRC of A followed by
/// a fixed number of bytes: CRC(A ‖ B) = shift(CRC(A)) ⊕ CRC(B). One column per bit.
struct CrcShift([u32; 32]);

impl CrcShift {
    /// The map for a text of `len` bytes whose CRC-32 is `crc` (taken from crc32fast's
    /// `combine`, which computes the same map for one value at a time).
    fn over(crc: u32, len: u64) -> CrcShift {
        let mut columns = [0u32; 32];
        let after = Hasher::new_with_initial_len(crc, len);
        for (bit, column) in columns.iter_mut().enumerate() {
            let mut joined = Hasher::new_with_initial(1 << bit);
            joined.combine(&after);
            *column = joined.finalize() ^ crc;
        }
        CrcShift(columns)
    }

    fn apply(&self, crc: u32) -> u32 {
        let mut out = 0;
        let mut rest = crc;
        while rest != 0 {
            out ^= self.0[rest.trailing_zeros() as usize];
            rest &= rest - 1;
        }
        out
    }
}

impl Deflated {
    pub fn of(raw: &[u8]) -> Deflated {
        use std::io::Write;
        let mut encoder = DeflateEncoder::new(
            Vec::with_capacity(raw.len() / 3 + 64),
            Compression::default(),
        );
        // Writing to a Vec cannot fail; `flush` ends the piece with a sync flush.
        let _ = encoder.write_all(raw).and_then(|()| encoder.flush());
        let data = std::mem::take(encoder.get_mut());
        let mut hasher = Hasher::new();
        hasher.update(raw);
        let crc = hasher.finalize();
        let len = raw.len() as u64;
        Deflated {
            data: data.into(),
            crc,
            len,
            shift: CrcShift::over(crc, len),
        }
    }

    /// Its compressed size in bytes.
    pub fn size(&self) -> usize {
        self.data.len()
    }
}

/// Text rendered once and kept, with its compressed copy made on first use.
pub struct Kept {
    text: String,
    gzip: std::sync::OnceLock<Deflated>,
}

impl Kept {
    pub fn new(text: String) -> Kept {
        Kept {
            text,
            gzip: Default::default(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn gzip(&self) -> &Deflated {
        self.gzip.get_or_init(|| Deflated::of(self.text.as_bytes()))
    }
}

/// A gzip stream being put together from stored and kept pieces.
pub struct GzipBody {
    out: BytesMut,
    crc: u32,
    len: u64,
}

/// Deflate's largest stored block.
const MAX_STORED: usize = 65_535;

impl GzipBody {
    pub fn with_capacity(capacity: usize) -> GzipBody {
        let mut out = BytesMut::with_capacity(capacity + 32);
        // Magic, deflate, no flags, no time, no extra flags, unknown system.
        out.put_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        GzipBody {
            out,
            crc: 0,
            len: 0,
        }
    }

    /// Appends bytes as they are, in stored blocks.
    pub fn stored(&mut self, raw: &[u8]) {
        for block in raw.chunks(MAX_STORED) {
            let n = block.len() as u16;
            self.out.put_u8(0); // not final, stored; the rest of the byte is padding
            self.out.put_u16_le(n);
            self.out.put_u16_le(!n);
            self.out.put_slice(block);
        }
        let mut hasher = Hasher::new_with_initial(self.crc);
        hasher.update(raw);
        self.crc = hasher.finalize();
        self.len += raw.len() as u64;
    }

    /// Appends a piece compressed once.
    pub fn deflated(&mut self, piece: &Deflated) {
        self.out.put_slice(&piece.data);
        self.crc = piece.shift.apply(self.crc) ^ piece.crc;
        self.len += piece.len;
    }

    pub fn finish(mut self) -> Bytes {
        // An empty final stored block, then the trailer: CRC-32 and length mod 2^32.
        self.out.put_slice(&[1, 0, 0, 0xff, 0xff]);
        self.out.put_u32_le(self.crc);
        self.out.put_u32_le(self.len as u32);
        self.out.freeze()
    }
}

/// The whole of `raw` as one gzip stream.
pub fn whole(raw: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 3 + 64),
        Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(raw);
    encoder.finish().unwrap_or_default().into()
}

/// Whether the request's `Accept-Encoding` takes gzip (RFC 9110 §12.5.3): named, or `*`, with
/// a weight above zero.
pub fn accepted(headers: &HeaderMap) -> bool {
    let mut star = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let weight_ok = parts.all(|p| {
                let p = p.trim();
                match p.split_once('=') {
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("q") => {
                        v.trim().parse::<f32>().is_ok_and(|q| q > 0.0)
                    }
                    _ => true,
                }
            });
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                return weight_ok;
            }
            if coding == "*" {
                star = Some(weight_ok);
            }
        }
    }
    star.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    fn text(n: usize, seed: u32) -> Vec<u8> {
        let words = [
            "policing ",
            "resilience ",
            "<p>",
            "</p>",
            "chief ",
            "é ",
            "\n",
        ];
        let mut x = seed;
        (0..n)
            .flat_map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                words[(x >> 16) as usize % words.len()].bytes()
            })
            .collect()
    }

    #[test]
    fn stored_and_kept_pieces_join_into_the_bytes_they_hold() {
        let frame_start = text(700, 1);
        let head = text(5_000, 2);
        let frame_middle = text(70_000, 3); // more than one stored block
        let replies = text(40_000, 4);
        let kept_head = Deflated::of(&head);
        let kept_replies = Deflated::of(&replies);
        assert!(kept_replies.size() < replies.len() / 2);
        let mut body = GzipBody::with_capacity(100_000);
        body.stored(&frame_start);
        body.deflated(&kept_head);
        body.stored(&frame_middle);
        body.deflated(&kept_replies);
        body.stored(b"");
        body.deflated(&Deflated::of(b""));
        let joined = [frame_start, head, frame_middle, replies].concat();
        assert_eq!(gunzip(&body.finish()), joined);
        assert_eq!(gunzip(&whole(&joined)), joined);
        assert_eq!(gunzip(&whole(b"")), b"");
    }

    #[test]
    fn the_shift_joins_crcs_as_hashing_the_joined_text_does() {
        for (a, b) in [(0, 0), (1, 0), (0, 1), (37, 5_000), (70_000, 3)] {
            let (a, b) = (text(a, 11), text(b, 12));
            let crc = |bytes: &[u8]| {
                let mut h = Hasher::new();
                h.update(bytes);
                h.finalize()
            };
            let shift = CrcShift::over(crc(&b), b.len() as u64);
            assert_eq!(
                shift.apply(crc(&a)) ^ crc(&b),
                crc(&[a.clone(), b.clone()].concat())
            );
        }
    }

    #[test]
    fn a_piece_is_the_same_wherever_it_is_put() {
        let piece = Deflated::of(&text(3_000, 9));
        for before in [0, 1, 31_000, 70_000] {
            let lead = text(before, 5);
            let mut body = GzipBody::with_capacity(0);
            body.stored(&lead[..before.min(lead.len())]);
            body.deflated(&piece);
            body.deflated(&piece);
            let mut expected = lead[..before.min(lead.len())].to_vec();
            expected.extend(text(3_000, 9));
            expected.extend(text(3_000, 9));
            assert_eq!(gunzip(&body.finish()), expected);
        }
    }

    #[test]
    fn gzip_is_taken_only_when_asked_for_with_a_weight_above_zero() {
        let asks = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            accepted(&headers)
        };
        assert!(asks(&["gzip, deflate, br, zstd"]));
        assert!(asks(&["br", "GZip;q=0.5"]));
        assert!(asks(&["*"]));
        assert!(asks(&["x-gzip"]));
        assert!(!asks(&[]));
        assert!(!asks(&["identity"]));
        assert!(!asks(&["br, deflate"]));
        assert!(!asks(&["gzip;q=0"]));
        assert!(!asks(&["gzip; q=0.000, *"]));
        assert!(!asks(&["*;q=0"]));
        assert!(!asks(&["gzipped"]));
    }
}
