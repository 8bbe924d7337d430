//! Text out of a document, for search. This runs inside the extraction process (see
//! `isolate`), never in the server: the readers of PDF, Office and OpenDocument files are
//! large and meet hostile input, so whatever they do (panic, loop, swallow memory) ends
//! with that process.
use super::file_type::FileType;
use quick_xml::events::Event;
use std::io::{Cursor, Read};

/// Largest part of a ZIP container read (uncompressed); more is a zip bomb, or too much text
/// to be worth it.
const PART_MAX: u64 = 64 * 1024 * 1024;
/// Most parts (slides) read from one presentation.
const PARTS_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0}")]
    Unreadable(String),
    #[error("a part of the file expands to more than {} MB when opened", PART_MAX / 1024 / 1024)]
    TooLarge,
}

fn unreadable(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::Unreadable(e.to_string())
}

/// The text of `bytes`, read as `kind`, with runs of blank space made single and at most
/// `max_chars` characters.
pub fn text_of(kind: FileType, bytes: &[u8], max_chars: usize) -> Result<String, ExtractError> {
    let raw = match kind {
        FileType::Pdf => pdf_extract::extract_text_from_mem(bytes)
            .map_err(|e| unreadable(format!("the PDF cannot be read: {e}")))?,
        FileType::Docx => xml_text(&zip_part(bytes, "word/document.xml")?, &[b"p", b"tab"])?,
        FileType::Odt => xml_text(&zip_part(bytes, "content.xml")?, &[b"p", b"h", b"tab"])?,
        FileType::Pptx => slides(bytes)?,
        FileType::Xlsx | FileType::Ods => spreadsheet(bytes)?,
        FileType::Text | FileType::Markdown | FileType::Csv => {
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    Ok(tidy(&raw, max_chars))
}

/// Lines kept, spaces within a line made single, blank lines dropped, cut at `max_chars`.
fn tidy(raw: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for line in raw.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let line = words.join(" ");
        let n = line.chars().count();
        if chars + n > max_chars {
            out.extend(line.chars().take(max_chars.saturating_sub(chars)));
            break;
        }
        out.push_str(&line);
        out.push('\n');
        chars += n + 1;
        if chars >= max_chars {
            break;
        }
    }
    out
}

fn archive(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, ExtractError> {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not a valid ZIP container: {e}")))
}

fn read_part<R: Read>(entry: R) -> Result<String, ExtractError> {
    let mut raw = Vec::new();
    entry
        .take(PART_MAX + 1)
        .read_to_end(&mut raw)
        .map_err(unreadable)?;
    if raw.len() as u64 > PART_MAX {
        return Err(ExtractError::TooLarge);
    }
    String::from_utf8(raw).map_err(|_| unreadable("a part of the file is not UTF-8 text"))
}

fn zip_part(bytes: &[u8], name: &str) -> Result<String, ExtractError> {
    let mut zip = archive(bytes)?;
    let entry = zip
        .by_name(name)
        .map_err(|e| unreadable(format!("{name} is missing: {e}")))?;
    read_part(entry)
}

/// The text nodes of an XML part, with a line break after each element whose local name is
/// in `breaks` (paragraphs, headings) — and a space between other runs of text. Entities are
/// not expanded beyond XML's own five, so an "XML bomb" stays the size it is.
fn xml_text(xml: &str, breaks: &[&[u8]]) -> Result<String, ExtractError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Text(t)) => {
                let text = t
                    .decode()
                    .map_err(|e| unreadable(format!("bad XML text: {e}")))?;
                out.push_str(&text);
            }
            Ok(Event::GeneralRef(r)) => {
                // The five predefined entities and character references; others are dropped.
                let name = r.decode().map_err(unreadable)?;
                let ch = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                if let Some(c) = ch {
                    out.push(c);
                }
            }
            Ok(Event::CData(t)) => out.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::End(e)) => {
                if breaks.contains(&e.local_name().as_ref()) {
                    out.push('\n');
                }
            }
            Ok(Event::Empty(e)) => {
                if breaks.contains(&e.local_name().as_ref()) {
                    out.push(' ');
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(unreadable(format!(
                    "the XML inside the file is broken at byte {}: {e}",
                    reader.error_position()
                )))
            }
        }
    }
    Ok(out)
}

/// Each slide's text, in slide order.
fn slides(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut zip = archive(bytes)?;
    let mut names: Vec<(u32, String)> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect::<Vec<String>>()
        .into_iter()
        .filter_map(|n| {
            let number = n
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((number, n.to_string()))
        })
        .collect();
    names.sort();
    let mut out = String::new();
    for (_, name) in names.into_iter().take(PARTS_MAX) {
        let entry = zip.by_name(&name).map_err(unreadable)?;
        out.push_str(&xml_text(&read_part(entry)?, &[b"p"])?);
        out.push('\n');
    }
    Ok(out)
}

/// Every sheet: its name, then each row's cells separated by tabs.
fn spreadsheet(bytes: &[u8]) -> Result<String, ExtractError> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("the spreadsheet cannot be read: {e}")))?;
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| unreadable(format!("sheet {name:?} cannot be read: {e}")))?;
        out.push_str(&name);
        out.push('\n');
        for row in range.rows() {
            let cells: Vec<String> = row
                .iter()
                .filter(|c| !matches!(c, Data::Empty))
                .map(|c| c.to_string())
                .collect();
            if !cells.is_empty() {
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines_and_entities_stay_small() {
        let xml = r#"<?xml version="1.0"?><w:document xmlns:w="x"><w:body>
            <w:p><w:r><w:t>Benchmarking</w:t></w:r><w:r><w:t xml:space="preserve"> clause &amp; terms</w:t></w:r></w:p>
            <w:p><w:r><w:t>Second &#169; line</w:t></w:r></w:p></w:body></w:document>"#;
        let text = tidy(&xml_text(xml, &[b"p"]).unwrap(), 1000);
        assert_eq!(text, "Benchmarking clause & terms\nSecond \u{a9} line\n");
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><p>&b;&b;&b;</p>"#;
        assert_eq!(xml_text(bomb, &[b"p"]).unwrap().trim(), "");
    }

    #[test]
    fn text_is_cut_at_the_limit() {
        assert_eq!(tidy("one   two\n\n\nthree four", 9), "one two\nt");
        assert_eq!(tidy("a\nb", 100), "a\nb\n");
        // A line ending right at the limit stops there (no underflow).
        assert_eq!(tidy("abc\ndef\nghi", 4), "abc\n");
    }

    #[test]
    fn broken_containers_say_why() {
        let err = text_of(FileType::Docx, b"PK\x03\x04junk", 100).unwrap_err();
        assert!(err.to_string().contains("ZIP"), "{err}");
    }
}
