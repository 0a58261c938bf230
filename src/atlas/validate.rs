//! Turning manifest JSON into a [`Manifest`], checking every rule of CARP.md
//! and reporting the first violation with its JSON pointer.
//!
//! The document is first checked to be JSON at all (`InvalidJson`), then
//! walked member by member in the order of CARP.md's tables (not the order
//! of the text), so "the first problem" is well defined whatever the
//! formatting: `/policies/2/actions/0: '*foo' is not a valid pattern`.
//! Unknown members are ignored, so newer manifests still load.

mod actions;
mod capabilities;
mod context_files;
mod context_packs;
mod fields;
mod json;
mod pointer;
mod policies;
mod quote;

use super::manifest::Manifest;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::MAX_ATLAS_LEN;
use json::Node;
use std::collections::HashSet;
use std::path::Path;

/// Where a manifest came from: context pack `files` are only allowed (and are
/// read relative to the folder) when it came from a file.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    Text,
    File { folder: &'a Path },
}

/// The only Atlas format version this library reads.
const ATLAS_VERSION: &str = "1.0";

/// Parses and validates one manifest.
///
/// Errors: `InvalidArgument` when `json` is longer than `MAX_ATLAS_LEN`,
/// `InvalidJson` when `json` is not JSON, `InvalidAtlas` naming the JSON
/// pointer of the first broken rule, `Io` when a context file cannot be read.
pub fn parse_manifest(json: &str, origin: Origin<'_>) -> Result<Manifest> {
    check_document_length(json)?;
    json::check_syntax(json)?;
    read_manifest(&Node::root(json)?, origin)
}

fn check_document_length(json: &str) -> Result<()> {
    if json.len() > MAX_ATLAS_LEN {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "atlas manifest must be at most {MAX_ATLAS_LEN} bytes long (it is {} bytes)",
                json.len()
            ),
        ));
    }
    Ok(())
}

/// Reads the top-level object, section by section in CARP.md's order.
fn read_manifest(root: &Node<'_, '_>, origin: Origin<'_>) -> Result<Manifest> {
    let object = root.object()?;
    object.read("atlas_version", atlas_version)?;
    let atlas_id = object.read("atlas_id", fields::atlas_id)?;
    let version = object.read("version", fields::semantic_version)?;
    let name = object.read("name", fields::text)?;
    let description = object.read("description", fields::text)?;
    let domains = object
        .read_optional("domains", fields::text_list)?
        .unwrap_or_default();
    let actions = object
        .read_optional("actions", actions::read_actions)?
        .unwrap_or_default();
    let action_ids: HashSet<&str> = actions.iter().map(|a| a.action_id.as_str()).collect();
    let capabilities = object
        .read_optional("capabilities", |list| {
            capabilities::read_capabilities(list, &action_ids)
        })?
        .unwrap_or_default();
    let policies = object
        .read_optional("policies", policies::read_policies)?
        .unwrap_or_default();
    let context_packs = object
        .read_optional("context_packs", |list| {
            context_packs::read_context_packs(list, origin)
        })?
        .unwrap_or_default();
    Ok(Manifest {
        atlas_id,
        version,
        name,
        description,
        domains,
        actions,
        capabilities,
        policies,
        context_packs,
    })
}

fn atlas_version(node: &Node<'_, '_>) -> Result<()> {
    let version = node.string()?;
    if version != ATLAS_VERSION {
        return Err(node.invalid(format!(
            "{} is not a supported atlas_version (expected '{ATLAS_VERSION}')",
            fields::quoted(&version)
        )));
    }
    Ok(())
}

/// Helpers shared by the tests of every section.
#[cfg(test)]
mod test_support {
    use super::{parse_manifest, Origin};
    use crate::atlas::manifest::Manifest;
    use crate::error::{Error, ErrorKind};
    use serde_json::{json, Value};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A valid minimal manifest with the members of `sections` added (or replaced).
    pub(super) fn atlas_with(sections: Value) -> String {
        let mut atlas = json!({
            "atlas_version": "1.0",
            "atlas_id": "com.example.test",
            "version": "1.0.0",
            "name": "Test",
            "description": "An atlas for tests",
        });
        let members = atlas.as_object_mut().unwrap();
        members.extend(sections.as_object().unwrap().clone());
        serde_json::to_string(&atlas).unwrap()
    }

    /// `json` parsed as an atlas given as text, which must be valid.
    pub(super) fn parsed(json: &str) -> Manifest {
        parse_manifest(json, Origin::Text).unwrap_or_else(|err| panic!("{err}\n{json}"))
    }

    /// The error of parsing `json` as an atlas given as text.
    pub(super) fn error_of(json: &str) -> Error {
        match parse_manifest(json, Origin::Text) {
            Ok(manifest) => panic!("accepted {json}\n{manifest:?}"),
            Err(err) => err,
        }
    }

    /// The message of the `InvalidAtlas` error that `json` must cause.
    pub(super) fn invalid_atlas(json: &str) -> String {
        let err = error_of(json);
        assert_eq!(err.kind(), ErrorKind::InvalidAtlas, "{err}");
        err.message().to_owned()
    }

    /// A fresh folder under the system's temp folder, removed when dropped.
    pub(super) struct TempFolder {
        path: PathBuf,
    }

    impl TempFolder {
        pub(super) fn new(label: &str) -> TempFolder {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let unique = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("cra-atlas-{label}-{}-{unique}", std::process::id());
            let path = std::env::temp_dir().join(name);
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempFolder { path }
        }

        pub(super) fn path(&self) -> &Path {
            &self.path
        }

        /// Writes `bytes` to `relative` inside the folder, creating subfolders.
        pub(super) fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
            let path = self.path.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for TempFolder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests;
