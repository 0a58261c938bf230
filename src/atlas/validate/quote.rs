//! How a value from the input is shown in an error message.

/// `text` in single quotes for an error message, with control characters and
/// quotes escaped (a message must stay one readable line) and cut after 80
/// characters (a message must not carry a megabyte of hostile input).
pub(crate) fn quoted(text: &str) -> String {
    const SHOWN_CHARS: usize = 80;
    let mut shown: String = text.chars().take(SHOWN_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("'{}'", shown.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_and_cuts_long_text() {
        assert_eq!(quoted("abc"), "'abc'");
        assert_eq!(quoted("a'\n"), r"'a\'\n'");
        let long = "x".repeat(1000);
        assert_eq!(quoted(&long), format!("'{}…'", "x".repeat(80)));
        assert_eq!(quoted(&"é".repeat(80)), format!("'{}'", "é".repeat(80)));
    }
}
