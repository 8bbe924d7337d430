//! Small, valid documents of every container type, written from text: a PDF (Helvetica, 50
//! lines a page), Office Open XML and OpenDocument packages with the parts their readers need.
//! The demo data's documents are made with these, and the tests' and benchmarks' files too.
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// A PDF showing `text` in Helvetica, a line of the page for each line of the text, 50 lines
/// to a page.
pub fn pdf(text: &str) -> Vec<u8> {
    let escape = |l: &str| {
        l.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let lines: Vec<&str> = text.lines().collect();
    let pages: Vec<&[&str]> = if lines.is_empty() {
        vec![&[][..]]
    } else {
        lines.chunks(50).collect()
    };
    // Objects: 1 catalog, 2 pages, 3 font, then a page and its content for each page.
    let mut objects = vec![
        String::new(),
        String::new(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut kids = Vec::new();
    for page in &pages {
        let mut content = String::from("BT /F1 10 Tf 14 TL 40 760 Td");
        for line in *page {
            content.push_str(&format!(" ({}) Tj T*", escape(line)));
        }
        content.push_str(" ET");
        let page_no = objects.len() + 1;
        kids.push(format!("{page_no} 0 R"));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
             /Resources << /Font << /F1 3 0 R >> >> >>",
            page_no + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    objects[0] = "<< /Type /Catalog /Pages 2 0 R >>".to_string();
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        kids.len()
    );
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub fn package(parts: &[(&str, String)]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, body) in parts {
            // OpenDocument wants its `mimetype` first and stored, not compressed.
            let options = if *name == "mimetype" {
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
            } else {
                SimpleFileOptions::default()
            };
            zip.start_file(*name, options).expect("zip entry");
            zip.write_all(body.as_bytes()).expect("zip write");
        }
        zip.finish().expect("zip finish");
    }
    out.into_inner()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const RELS_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_REL: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";

pub fn content_types(overrides: &[(&str, &str)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>"#,
    );
    for (part, ct) in overrides {
        s.push_str(&format!(
            r#"<Override PartName="{part}" ContentType="{ct}"/>"#
        ));
    }
    s.push_str("</Types>");
    s
}

fn root_rels(target: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{DOC_REL}" Target="{target}"/></Relationships>"#
    )
}

/// A Word document with a paragraph for each line of `text`.
pub fn docx(text: &str) -> Vec<u8> {
    docx_with_body(
        &text
            .lines()
            .map(|l| format!(r#"<w:p><w:r><w:t>{}</w:t></w:r></w:p>"#, xml_escape(l)))
            .collect::<String>(),
    )
}

fn docx_with_body(body: &str) -> Vec<u8> {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    package(&[
        (
            "[Content_Types].xml",
            content_types(&[(
                "/word/document.xml",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            )]),
        ),
        ("_rels/.rels", root_rels("word/document.xml")),
        ("word/document.xml", doc),
    ])
}

/// A presentation with one slide per text.
pub fn pptx(slides: &[&str]) -> Vec<u8> {
    let mut parts = vec![
        (
            "[Content_Types].xml".to_string(),
            content_types(&[(
                "/ppt/presentation.xml",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
            )]),
        ),
        ("_rels/.rels".to_string(), root_rels("ppt/presentation.xml")),
        (
            "ppt/presentation.xml".to_string(),
            r#"<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>"#.to_string(),
        ),
    ];
    for (i, text) in slides.iter().enumerate() {
        parts.push((
            format!("ppt/slides/slide{}.xml", i + 1),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#,
                xml_escape(text)
            ),
        ));
    }
    let borrowed: Vec<(&str, String)> =
        parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    package(&borrowed)
}

/// An Excel workbook with one sheet of inline-string cells.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let col = (b'A' + c as u8) as char;
            sheet.push_str(&format!(
                r#"<c r="{col}{}" t="inlineStr"><is><t>{}</t></is></c>"#,
                r + 1,
                xml_escape(cell)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    package(&[
        (
            "[Content_Types].xml",
            content_types(&[
                (
                    "/xl/workbook.xml",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                ),
                (
                    "/xl/worksheets/sheet1.xml",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
                ),
            ]),
        ),
        ("_rels/.rels", root_rels("xl/workbook.xml")),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Costs" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

const ODF_MANIFEST_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#;
const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2""#;

fn opendocument(mime: &str, body: &str) -> Vec<u8> {
    package(&[
        ("mimetype", mime.to_string()),
        (
            "META-INF/manifest.xml",
            format!(
                r#"{ODF_MANIFEST_HEAD}<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
            ),
        ),
        (
            "content.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:body>{body}</office:body></office:document-content>"#
            ),
        ),
    ])
}

/// An OpenDocument text with a paragraph for each line of `text`.
pub fn odt(text: &str) -> Vec<u8> {
    let paragraphs: String = text
        .lines()
        .map(|l| format!("<text:p>{}</text:p>", xml_escape(l)))
        .collect();
    opendocument(
        "application/vnd.oasis.opendocument.text",
        &format!("<office:text>{paragraphs}</office:text>"),
    )
}

/// An OpenDocument spreadsheet with one sheet of string cells.
pub fn ods(rows: &[&[&str]]) -> Vec<u8> {
    let mut table = String::from(r#"<office:spreadsheet><table:table table:name="Costs">"#);
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in *row {
            table.push_str(&format!(
                r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                xml_escape(cell)
            ));
        }
        table.push_str("</table:table-row>");
    }
    table.push_str("</table:table></office:spreadsheet>");
    opendocument("application/vnd.oasis.opendocument.spreadsheet", &table)
}
