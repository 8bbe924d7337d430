//! Small documents of every accepted type, made here so that each holds a given sentence
//! (the builders are the server's `library::samples`, which the demo data uses too), and
//! hostile files: a broken PDF, a zip bomb and an XML bomb.
use roundtable::library::samples::{content_types, package};
pub use roundtable::library::samples::{docx, ods, odt, pdf, pptx, xlsx};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// (type as the server names it, file name, bytes) for every accepted type, each holding
/// `words` (plus the type's name, so each file has a word of its own when asked).
pub fn every_type(words: &dyn Fn(&str) -> String) -> Vec<(&'static str, String, Vec<u8>)> {
    vec![
        ("pdf", "report.pdf".into(), pdf(&words("pdf"))),
        ("docx", "terms.docx".into(), docx(&words("docx"))),
        ("odt", "lessons.odt".into(), odt(&words("odt"))),
        (
            "xlsx",
            "costs.xlsx".into(),
            xlsx(&[&["Force", "Saving"], &[&words("xlsx"), "12"]]),
        ),
        (
            "ods",
            "costs.ods".into(),
            ods(&[&["Force", "Saving"], &[&words("ods"), "9"]]),
        ),
        (
            "pptx",
            "briefing.pptx".into(),
            pptx(&[&words("pptx"), "Second slide"]),
        ),
        (
            "txt",
            "notes.txt".into(),
            format!("Meeting notes\n{}\n", words("txt")).into_bytes(),
        ),
        (
            "md",
            "guide.md".into(),
            format!("# Guide\n\n- {}\n- second point\n", words("md")).into_bytes(),
        ),
        (
            "csv",
            "figures.csv".into(),
            format!("force,note\nKent,{}\nEssex,other\n", words("csv")).into_bytes(),
        ),
    ]
}

/// A file that starts like a PDF and is nothing of the kind after.
pub fn corrupt_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R".to_vec();
    out.extend(std::iter::repeat_n(0xAB, 4096));
    out
}

/// A Word document whose one XML part expands to `megabytes` MB of spaces (a few hundred
/// KB compressed).
pub fn zip_bomb(megabytes: usize) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(content_types(&[]).as_bytes()).unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(b"<w:document xmlns:w=\"x\"><w:body><w:p><w:t>")
            .unwrap();
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..megabytes {
            zip.write_all(&block).unwrap();
        }
        zip.write_all(b"</w:t></w:p></w:body></w:document>")
            .unwrap();
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// A Word document whose XML declares "billion laughs" entities and uses them.
pub fn xml_bomb() -> Vec<u8> {
    let mut dtd = String::from("<!ENTITY lol \"lol\">");
    let mut prev = "lol".to_string();
    for i in 1..=9 {
        let name = format!("lol{i}");
        dtd.push_str(&format!(
            "<!ENTITY {name} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
        prev = name;
    }
    let doc = format!(
        r#"<?xml version="1.0"?><!DOCTYPE w:document [{dtd}]><w:document xmlns:w="x"><w:body><w:p><w:t>&{prev};</w:t></w:p></w:body></w:document>"#
    );
    package(&[
        ("[Content_Types].xml", content_types(&[])),
        ("word/document.xml", doc),
    ])
}

/// The EICAR anti-virus test string: harmless, and detected by every scanner.
pub const EICAR: &str = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
