//! The `context_packs` section: text handed to the agent along with a resolution.

use super::context_files::PackContent;
use super::fields::{self, UniqueIds};
use super::json::{Node, Object};
use super::Origin;
use crate::atlas::manifest::{ContextPackSpec, PackConditions, TierSet};
use crate::error::Result;
use crate::limits::MAX_CONTEXT_LEN;

/// The content type of a pack that does not name one.
const DEFAULT_CONTENT_TYPE: &str = "text/plain";

/// Reads the `context_packs` list. Pack ids must be unique within the atlas.
pub(super) fn read_context_packs(
    node: &Node<'_, '_>,
    origin: Origin<'_>,
) -> Result<Vec<ContextPackSpec>> {
    let mut ids = UniqueIds::new("pack id");
    node.list(|item| read_pack(item, &mut ids, origin))
}

/// Reads one pack, member by member in CARP.md's order; its files are read
/// when the walk reaches them, so a file error is reported in document order too.
fn read_pack(
    node: &Node<'_, '_>,
    ids: &mut UniqueIds,
    origin: Origin<'_>,
) -> Result<ContextPackSpec> {
    let object = node.object()?;
    Ok(ContextPackSpec {
        pack_id: object.read("pack_id", |id| ids.claim(fields::plain_id(id)?, id))?,
        name: object.read("name", fields::text)?,
        priority: object.read("priority", fields::signed_integer)?,
        content_type: object
            .read_optional("content_type", fields::text)?
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
        content: read_content(&object, origin)?,
        conditions: object
            .read_optional("conditions", pack_conditions)?
            .unwrap_or(PackConditions {
                keywords: Vec::new(),
                risk_tiers: TierSet::ALL,
                context_hints: Vec::new(),
            }),
    })
}

/// The pack's `content` followed by its `files`; a pack needs at least one.
fn read_content(pack: &Object<'_, '_>, origin: Origin<'_>) -> Result<String> {
    if !pack.has("content") && !pack.has("files") {
        return Err(pack.invalid("missing required member 'content' or 'files'"));
    }
    let inline = pack.read_optional("content", |content| {
        fields::bounded_string(content, MAX_CONTEXT_LEN)
    })?;
    let mut content = PackContent::new(inline);
    pack.read_optional("files", |files| read_files(files, origin, &mut content))?;
    Ok(content.finish())
}

/// Reads every file of `files` into `content`. Only an atlas loaded from a
/// file has a folder to read from; an atlas given as text must not make the
/// library read files relative to wherever the process happens to run.
fn read_files(node: &Node<'_, '_>, origin: Origin<'_>, content: &mut PackContent) -> Result<()> {
    let Origin::File { folder } = origin else {
        return Err(node.invalid("files are only allowed when the atlas is loaded from a file"));
    };
    fields::non_empty_list(node, |file| content.append_file(folder, file))?;
    Ok(())
}

/// A pack's `conditions`; absent members impose nothing.
fn pack_conditions(node: &Node<'_, '_>) -> Result<PackConditions> {
    let object = node.object()?;
    Ok(PackConditions {
        keywords: object
            .read_optional("keywords", |list| fields::condition_list(list, keyword))?
            .unwrap_or_default(),
        risk_tiers: object
            .read_optional("risk_tiers", fields::risk_tier_set)?
            .unwrap_or(TierSet::ALL),
        context_hints: object
            .read_optional("context_hints", |list| {
                fields::condition_list(list, fields::text)
            })?
            .unwrap_or_default(),
    })
}

/// A keyword, lowercased for the case-insensitive match against the goal.
/// An empty keyword is refused: it would appear in every goal.
fn keyword(node: &Node<'_, '_>) -> Result<String> {
    let keyword = fields::text(node)?;
    if keyword.is_empty() {
        return Err(node.invalid("must not be empty"));
    }
    Ok(keyword.to_lowercase())
}

#[cfg(test)]
mod tests;
