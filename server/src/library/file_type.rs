//! What a file is, decided from its content: magic bytes, and for ZIP containers the parts
//! inside them. The name a person gave the file is never consulted.
use std::io::{Read, Seek};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Pdf,
    Docx,
    Odt,
    Xlsx,
    Ods,
    Pptx,
    Text,
    Markdown,
    Csv,
}

pub const ALL: [FileType; 9] = [
    FileType::Pdf,
    FileType::Docx,
    FileType::Odt,
    FileType::Xlsx,
    FileType::Ods,
    FileType::Pptx,
    FileType::Text,
    FileType::Markdown,
    FileType::Csv,
];

/// Why a file was not accepted as a document, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is empty")]
    Empty,
    #[error(
        "this file is an older Microsoft Office file (.doc, .xls or .ppt); save it as .docx, \
         .xlsx or .pptx and upload that"
    )]
    OldOffice,
    #[error(
        "this file is a ZIP archive but not a Word, Excel, PowerPoint or OpenDocument file; \
         upload the documents themselves"
    )]
    OtherZip,
    #[error("the file looks like a ZIP archive but cannot be opened: {0}")]
    BrokenZip(String),
    #[error("the file holds more than {MAX_PARTS} parts, far more than any document has")]
    TooManyParts,
    #[error(
        "this kind of file is not accepted; upload PDF, Word (.docx), Excel (.xlsx), \
         PowerPoint (.pptx), OpenDocument text or spreadsheet (.odt, .ods), plain text, \
         Markdown or CSV"
    )]
    Unsupported,
}

impl FileType {
    /// The name stored and shown: `pdf`, `docx`, … `txt`, `md`, `csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Odt => "odt",
            FileType::Xlsx => "xlsx",
            FileType::Ods => "ods",
            FileType::Pptx => "pptx",
            FileType::Text => "txt",
            FileType::Markdown => "md",
            FileType::Csv => "csv",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// The type a download is served with.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Text => "text/plain; charset=utf-8",
            FileType::Markdown => "text/markdown; charset=utf-8",
            FileType::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word document",
            FileType::Odt => "OpenDocument text",
            FileType::Xlsx => "Excel spreadsheet",
            FileType::Ods => "OpenDocument spreadsheet",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Text => "Text",
            FileType::Markdown => "Markdown",
            FileType::Csv => "CSV",
        }
    }

    /// The extension a download's file name ends with.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Longest `mimetype` entry of an OpenDocument file worth reading.
const MIMETYPE_MAX: u64 = 200;

/// Decides the type of the file read by `file` (from its start).
pub fn sniff<R: Read + Seek>(mut file: R) -> Result<FileType, Refused> {
    let mut head = vec![0u8; 8192];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(Refused::BrokenZip(e.to_string())),
        }
    }
    head.truncate(filled);
    if head.is_empty() {
        return Err(Refused::Empty);
    }
    if head.starts_with(b"%PDF-") {
        return Ok(FileType::Pdf);
    }
    if head.starts_with(ZIP_MAGIC) {
        file.rewind()
            .map_err(|e| Refused::BrokenZip(e.to_string()))?;
        return office_type(file);
    }
    if head.starts_with(OLE_MAGIC) {
        return Err(Refused::OldOffice);
    }
    text_type(&head, filled == 8192)
}

/// Most entries a ZIP container may have: office documents have tens or hundreds; opening
/// one reads every entry's name into memory, so an archive of millions is refused unopened.
pub const MAX_PARTS: u64 = 10_000;

/// The entry count in a ZIP's end-of-central-directory record (`None` when there is none);
/// ZIP64's "see elsewhere" marker counts as too many.
fn zip_entries<R: Read + Seek>(file: &mut R) -> Result<Option<u64>, Refused> {
    let io = |e: std::io::Error| Refused::BrokenZip(e.to_string());
    let len = file.seek(std::io::SeekFrom::End(0)).map_err(io)?;
    let tail = len.min(22 + 65_535);
    file.seek(std::io::SeekFrom::Start(len - tail))
        .map_err(io)?;
    let mut buf = Vec::with_capacity(tail as usize);
    file.take(tail).read_to_end(&mut buf).map_err(io)?;
    file.rewind().map_err(io)?;
    let Some(at) = buf
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .filter(|at| at + 22 <= buf.len())
    else {
        return Ok(None);
    };
    let total = u16::from_le_bytes([buf[at + 10], buf[at + 11]]);
    Ok(Some(if total == u16::MAX {
        u64::MAX
    } else {
        u64::from(total)
    }))
}

fn office_type<R: Read + Seek>(mut file: R) -> Result<FileType, Refused> {
    if zip_entries(&mut file)?.is_some_and(|n| n > MAX_PARTS) {
        return Err(Refused::TooManyParts);
    }
    let mut zip = zip::ZipArchive::new(file).map_err(|e| Refused::BrokenZip(e.to_string()))?;
    if let Ok(entry) = zip.by_name("mimetype") {
        let mut raw = String::new();
        entry
            .take(MIMETYPE_MAX)
            .read_to_string(&mut raw)
            .map_err(|e| Refused::BrokenZip(e.to_string()))?;
        return match raw.trim() {
            "application/vnd.oasis.opendocument.text" => Ok(FileType::Odt),
            "application/vnd.oasis.opendocument.spreadsheet" => Ok(FileType::Ods),
            _ => Err(Refused::Unsupported),
        };
    }
    let has = |name: &str| zip.index_for_name(name).is_some();
    if !has("[Content_Types].xml") {
        return Err(Refused::OtherZip);
    }
    if has("word/document.xml") {
        Ok(FileType::Docx)
    } else if has("xl/workbook.xml") {
        Ok(FileType::Xlsx)
    } else if has("ppt/presentation.xml") {
        Ok(FileType::Pptx)
    } else {
        Err(Refused::OtherZip)
    }
}

/// Text: UTF-8 (a cut-off last character allowed when only the head was read), no NUL or
/// other control characters but tab, line feed, carriage return and form feed. Then CSV when
/// the first lines agree on a number of commas, Markdown when it uses Markdown's marks, else
/// plain text.
fn text_type(head: &[u8], truncated: bool) -> Result<FileType, Refused> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) if truncated && e.error_len().is_none() => {
            std::str::from_utf8(&body[..e.valid_up_to()]).map_err(|_| Refused::Unsupported)?
        }
        Err(_) => return Err(Refused::Unsupported),
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
    {
        return Err(Refused::Unsupported);
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(if truncated { 20 } else { 21 })
        .collect();
    // The last line of a cut-off head may be incomplete.
    let whole = if truncated && lines.len() > 1 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    if looks_like_csv(whole) {
        return Ok(FileType::Csv);
    }
    if looks_like_markdown(text) {
        return Ok(FileType::Markdown);
    }
    Ok(FileType::Text)
}

/// Commas outside double quotes.
fn fields(line: &str) -> usize {
    let mut quoted = false;
    let mut commas = 0;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    commas + 1
}

fn looks_like_csv(lines: &[&str]) -> bool {
    if lines.len() < 2 {
        return false;
    }
    let first = fields(lines[0]);
    first >= 2 && lines.iter().all(|l| fields(l) == first)
}

fn looks_like_markdown(text: &str) -> bool {
    let marks = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            (l.starts_with('#') && l.trim_start_matches('#').starts_with(' '))
                || l.starts_with("```")
                || l.starts_with("- ")
                || l.starts_with("* ")
                || l.starts_with("> ")
                || l.starts_with("| ")
                || (l.contains("](") && l.contains('['))
                || l.contains("**")
        })
        .count();
    marks >= 2 || text.lines().next().is_some_and(|l| l.starts_with("# "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_with(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut out);
            for (name, body) in entries {
                zip.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                zip.write_all(body.as_bytes()).unwrap();
            }
            zip.finish().unwrap();
        }
        out.into_inner()
    }

    fn sniffed(bytes: &[u8]) -> Result<FileType, Refused> {
        sniff(Cursor::new(bytes))
    }

    #[test]
    fn office_and_opendocument_by_their_parts() {
        let ct = ("[Content_Types].xml", "<Types/>");
        assert_eq!(
            sniffed(&zip_with(&[ct, ("word/document.xml", "<w/>")])),
            Ok(FileType::Docx)
        );
        assert_eq!(
            sniffed(&zip_with(&[ct, ("xl/workbook.xml", "<w/>")])),
            Ok(FileType::Xlsx)
        );
        assert_eq!(
            sniffed(&zip_with(&[ct, ("ppt/presentation.xml", "<p/>")])),
            Ok(FileType::Pptx)
        );
        assert_eq!(
            sniffed(&zip_with(&[(
                "mimetype",
                "application/vnd.oasis.opendocument.text"
            )])),
            Ok(FileType::Odt)
        );
        assert_eq!(
            sniffed(&zip_with(&[(
                "mimetype",
                "application/vnd.oasis.opendocument.spreadsheet"
            )])),
            Ok(FileType::Ods)
        );
        assert_eq!(
            sniffed(&zip_with(&[("notes.txt", "hello")])),
            Err(Refused::OtherZip)
        );
        assert!(matches!(
            sniffed(b"PK\x03\x04 not really a zip"),
            Err(Refused::BrokenZip(_))
        ));
        let many: Vec<(String, String)> = (0..10_001)
            .map(|i| (format!("p{i}"), String::new()))
            .collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(n, b)| (n.as_str(), b.as_str())).collect();
        assert_eq!(sniffed(&zip_with(&refs)), Err(Refused::TooManyParts));
    }

    #[test]
    fn pdf_and_refusals() {
        assert_eq!(sniffed(b"%PDF-1.7\n..."), Ok(FileType::Pdf));
        assert_eq!(sniffed(b""), Err(Refused::Empty));
        assert_eq!(sniffed(OLE_MAGIC), Err(Refused::OldOffice));
        assert_eq!(
            sniffed(b"MZ\x90\x00\x03\x00\x00\x00"),
            Err(Refused::Unsupported)
        );
        assert_eq!(sniffed(b"\x89PNG\r\n\x1a\n"), Err(Refused::Unsupported));
        assert_eq!(
            sniffed(b"<html><script>alert(1)</script>\x00"),
            Err(Refused::Unsupported)
        );
    }

    #[test]
    fn text_kinds_from_their_shape() {
        assert_eq!(
            sniffed(b"force,saving\nKent,12\n\"Avon, and Somerset\",9\n"),
            Ok(FileType::Csv)
        );
        assert_eq!(
            sniffed(b"# Lessons learned\n\nSome text.\n- one\n- two\n"),
            Ok(FileType::Markdown)
        );
        assert_eq!(
            sniffed(b"Minutes of the meeting, held on Tuesday.\nAll present.\n"),
            Ok(FileType::Text)
        );
        assert_eq!(sniffed("Caf\u{e9} notes".as_bytes()), Ok(FileType::Text));
        assert_eq!(sniffed(b"\xff\xfe bad"), Err(Refused::Unsupported));
    }

    #[test]
    fn a_long_text_cut_inside_a_character_is_still_text() {
        let mut body = "a".repeat(8191).into_bytes();
        body.extend_from_slice("\u{e9}".as_bytes());
        body.extend_from_slice(b" more");
        assert_eq!(sniffed(&body), Ok(FileType::Text));
    }
}
