//! Assembling a context pack's content from its inline text and the files
//! it names, read from the atlas folder.

use super::fields::{self, quoted};
use super::json::Node;
use crate::error::{Error, ErrorKind, Result};
use crate::files::read_regular_file;
use crate::limits::{MAX_CONTEXT_LEN, MAX_TEXT_LEN};
use std::path::{Component, Path};

/// A pack's content as it grows: the inline `content` first, then each
/// file's text, with `"\n"` between parts, never over `MAX_CONTEXT_LEN`.
pub(super) struct PackContent {
    text: String,
    has_parts: bool,
}

impl PackContent {
    /// Starts from the inline `content`, if any (already checked against the limit).
    pub(super) fn new(inline: Option<String>) -> PackContent {
        PackContent {
            has_parts: inline.is_some(),
            text: inline.unwrap_or_default(),
        }
    }

    /// Reads the file named by the `files` item `node`, relative to `folder`,
    /// and appends its text.
    pub(super) fn append_file(&mut self, folder: &Path, node: &Node<'_, '_>) -> Result<()> {
        let relative = fields::bounded_string(node, MAX_TEXT_LEN)?;
        let path = folder.join(checked_relative_path(&relative, node)?);
        let separator = if self.has_parts { "\n" } else { "" };
        let room = MAX_CONTEXT_LEN.saturating_sub(self.text.len() + separator.len());
        let file_text = read_text_file(&path, &relative, room, node)?;
        self.text.push_str(separator);
        self.text.push_str(&file_text);
        self.has_parts = true;
        Ok(())
    }

    pub(super) fn finish(self) -> String {
        self.text
    }
}

/// `relative` as a path inside the atlas folder, or an error about `node`.
fn checked_relative_path<'t>(relative: &'t str, node: &Node<'_, '_>) -> Result<&'t Path> {
    inside_folder(relative).ok_or_else(|| {
        node.invalid(format!(
            "{} is not a relative path inside the atlas folder",
            quoted(relative)
        ))
    })
}

/// The UTF-8 text of the file at `path` (named `relative` in the manifest
/// item `node`), which may hold at most `room` bytes.
fn read_text_file(path: &Path, relative: &str, room: usize, node: &Node<'_, '_>) -> Result<String> {
    let bytes = read_regular_file(path, room)
        .map_err(|err| {
            let message = format!(
                "cannot read file {} ({}): {err}",
                quoted(relative),
                path.display()
            );
            Error::at(ErrorKind::Io, &node.at().pointer(), message)
        })?
        .ok_or_else(|| {
            node.invalid(format!(
                "pack content (inline content and files together) must be at most {MAX_CONTEXT_LEN} bytes long"
            ))
        })?;
    String::from_utf8(bytes)
        .map_err(|_| node.invalid(format!("file {} is not valid UTF-8", quoted(relative))))
}

/// `text` as a path, if it stays inside the folder it is joined to: relative,
/// non-empty, and without `..` (nor a root or a Windows drive prefix).
///
/// The check is on the text alone. A symbolic link inside the folder is
/// followed: whoever can create links there controls the folder anyway, and
/// deployments that link shared documents into it keep working.
fn inside_folder(text: &str) -> Option<&Path> {
    let path = Path::new(text);
    let stays_inside = path
        .components()
        .all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
    (!text.is_empty() && stays_inside).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside_the_folder() {
        for inside in [
            "guide.md",
            "docs/guide.md",
            "./guide.md",
            "docs/./guide.md",
            "a..b",
        ] {
            assert!(inside_folder(inside).is_some(), "{inside:?}");
        }
        for outside in [
            "",
            "../guide.md",
            "docs/../../x",
            "docs/..",
            "..",
            "/etc/passwd",
            "//x",
        ] {
            assert!(inside_folder(outside).is_none(), "{outside:?}");
        }
    }

    #[test]
    fn parts_are_joined_with_newlines() {
        assert_eq!(PackContent::new(None).finish(), "");
        assert_eq!(PackContent::new(Some("inline".into())).finish(), "inline");
    }
}
