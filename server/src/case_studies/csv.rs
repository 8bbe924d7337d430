//! Writing CSV (RFC 4180) that is safe to open in a spreadsheet: a cell that would start a
//! formula (`=`, `+`, `-`, `@`, tab, carriage return) is prefixed with `'`, so text someone
//! typed into a case study is never run as a formula on a reader's machine.
pub fn cell(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// A number cell: written as it is, so spreadsheets read it as a number.
pub fn number(value: impl std::fmt::Display) -> String {
    value.to_string()
}

/// One line of cells, ended with CRLF.
pub fn row(cells: &[String]) -> String {
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_neutralises() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+44"), "'+44");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(row(&[cell("a"), number(-1.5)]), "a,-1.5\r\n");
    }
}
