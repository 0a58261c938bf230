use super::super::test_support::{atlas_with, error_of, invalid_atlas, parsed, TempFolder};
use super::super::{parse_manifest, Origin};
use super::*;
use crate::atlas::manifest::{Manifest, RiskTier};
use crate::error::ErrorKind;
use serde_json::{json, Value};

fn pack(extra: Value) -> Value {
    let mut pack = json!({
        "pack_id": "billing-basics",
        "name": "Billing basics",
        "priority": 10,
        "content": "Refunds over $500 need a manager.",
    });
    pack.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    pack
}

fn pack_error(extra: Value) -> String {
    invalid_atlas(&atlas_with(json!({ "context_packs": [pack(extra)] })))
}

fn only_pack(extra: Value) -> ContextPackSpec {
    let mut manifest = parsed(&atlas_with(json!({ "context_packs": [pack(extra)] })));
    manifest.context_packs.remove(0)
}

/// Parses an atlas whose single pack is `pack_json`, loaded from `folder`.
fn from_folder(folder: &TempFolder, pack_json: Value) -> crate::error::Result<Manifest> {
    let json = atlas_with(json!({ "context_packs": [pack_json] }));
    parse_manifest(
        &json,
        Origin::File {
            folder: folder.path(),
        },
    )
}

#[test]
fn defaults_apply_to_absent_members() {
    let pack = only_pack(json!({}));
    assert_eq!(pack.pack_id, "billing-basics");
    assert_eq!(pack.name, "Billing basics");
    assert_eq!(pack.priority, 10);
    assert_eq!(pack.content_type, "text/plain");
    assert_eq!(pack.content, "Refunds over $500 need a manager.");
    assert!(pack.conditions.keywords.is_empty());
    assert_eq!(pack.conditions.risk_tiers, TierSet::ALL);
    assert!(pack.conditions.context_hints.is_empty());
}

#[test]
fn reads_conditions_with_keywords_lowercased() {
    let pack = only_pack(json!({
        "content_type": "text/markdown",
        "conditions": {
            "keywords": ["Refund", "CHARGEBACK", "Straße"],
            "risk_tiers": ["medium"],
            "context_hints": ["EU-customer"],
        },
    }));
    assert_eq!(pack.content_type, "text/markdown");
    assert_eq!(pack.conditions.keywords, ["refund", "chargeback", "straße"]);
    assert_eq!(
        pack.conditions.risk_tiers,
        [RiskTier::Medium].into_iter().collect()
    );
    assert_eq!(pack.conditions.context_hints, ["EU-customer"]);
}

#[test]
fn each_member_is_checked() {
    assert_eq!(
        pack_error(json!({ "pack_id": "" })),
        "/context_packs/0/pack_id: must not be empty"
    );
    assert_eq!(
        pack_error(json!({ "name": 3 })),
        "/context_packs/0/name: must be a string"
    );
    assert_eq!(
        pack_error(json!({ "priority": 1.5 })),
        "/context_packs/0/priority: must be an integer"
    );
    assert_eq!(
        pack_error(json!({ "content_type": null })),
        "/context_packs/0/content_type: must be a string"
    );
    assert_eq!(
        pack_error(json!({ "content": {"text": "x"} })),
        "/context_packs/0/content: must be a string"
    );
    assert_eq!(
        pack_error(json!({ "conditions": "always" })),
        "/context_packs/0/conditions: must be an object"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"keywords": "refund"} })),
        "/context_packs/0/conditions/keywords: must be an array"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"keywords": ["refund", ""]} })),
        "/context_packs/0/conditions/keywords/1: must not be empty"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"keywords": []} })),
        "/context_packs/0/conditions/keywords: must not be empty (leave the member out to mean no condition)"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"risk_tiers": ["none"]} })),
        "/context_packs/0/conditions/risk_tiers/0: 'none' is not a risk tier (expected low, medium, high or critical)"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"context_hints": [1]} })),
        "/context_packs/0/conditions/context_hints/0: must be a string"
    );
    assert_eq!(
        pack_error(json!({ "conditions": {"context_hints": []} })),
        "/context_packs/0/conditions/context_hints: must not be empty (leave the member out to mean no condition)"
    );
}

#[test]
fn required_members_are_reported_at_the_pack() {
    for member in ["pack_id", "name", "priority"] {
        let mut value = pack(json!({}));
        value.as_object_mut().unwrap().remove(member);
        assert_eq!(
            invalid_atlas(&atlas_with(json!({ "context_packs": [value] }))),
            format!("/context_packs/0: missing required member '{member}'")
        );
    }
    let mut value = pack(json!({}));
    value.as_object_mut().unwrap().remove("content");
    assert_eq!(
        invalid_atlas(&atlas_with(json!({ "context_packs": [value] }))),
        "/context_packs/0: missing required member 'content' or 'files'"
    );
}

#[test]
fn pack_ids_are_unique_within_the_atlas() {
    assert_eq!(
        invalid_atlas(&atlas_with(json!({ "context_packs": [pack(json!({})), pack(json!({}))] }))),
        "/context_packs/1/pack_id: duplicate pack id 'billing-basics' (already used at /context_packs/0/pack_id)"
    );
}

#[test]
fn inline_content_is_limited() {
    let at_limit = only_pack(json!({ "content": "x".repeat(MAX_CONTEXT_LEN) }));
    assert_eq!(at_limit.content.len(), MAX_CONTEXT_LEN);
    assert_eq!(
        pack_error(json!({ "content": "x".repeat(MAX_CONTEXT_LEN + 1) })),
        "/context_packs/0/content: must be at most 4194304 bytes long"
    );
}

#[test]
fn files_are_refused_for_an_atlas_given_as_text() {
    assert_eq!(
        pack_error(json!({ "files": ["guide.md"] })),
        "/context_packs/0/files: files are only allowed when the atlas is loaded from a file"
    );
}

#[test]
fn files_are_read_relative_to_the_folder_and_joined_after_the_content() {
    let folder = TempFolder::new("pack-files");
    folder.write("guide.md", "# Guide\nBe kind.".as_bytes());
    folder.write("docs/faq.md", "Q: why?\nA: because.\n".as_bytes());
    let manifest = from_folder(
        &folder,
        pack(json!({ "files": ["guide.md", "./docs/faq.md"] })),
    )
    .unwrap();
    assert_eq!(
        manifest.context_packs[0].content,
        "Refunds over $500 need a manager.\n# Guide\nBe kind.\nQ: why?\nA: because.\n"
    );

    let mut files_only = pack(json!({ "files": ["guide.md", "guide.md"] }));
    files_only.as_object_mut().unwrap().remove("content");
    let manifest = from_folder(&folder, files_only).unwrap();
    assert_eq!(
        manifest.context_packs[0].content,
        "# Guide\nBe kind.\n# Guide\nBe kind."
    );

    let manifest = from_folder(
        &folder,
        pack(json!({ "content": "", "files": ["guide.md"] })),
    )
    .unwrap();
    assert_eq!(manifest.context_packs[0].content, "\n# Guide\nBe kind.");
}

#[test]
fn file_problems_name_the_file() {
    let folder = TempFolder::new("pack-file-errors");
    folder.write("guide.md", b"fine");
    folder.write("latin1.md", b"caf\xe9");

    let err =
        from_folder(&folder, pack(json!({ "files": ["guide.md", "latin1.md"] }))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAtlas);
    assert_eq!(
        err.message(),
        "/context_packs/0/files/1: file 'latin1.md' is not valid UTF-8"
    );

    let err = from_folder(&folder, pack(json!({ "files": ["missing.md"] }))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    let expected_start = format!(
        "/context_packs/0/files/0: cannot read file 'missing.md' ({}): ",
        folder.path().join("missing.md").display()
    );
    assert!(
        err.message().starts_with(&expected_start),
        "{}",
        err.message()
    );
    assert!(err.message().contains("(os error 2)"), "{}", err.message());

    let err = from_folder(&folder, pack(json!({ "files": ["."] }))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "a folder is not a file");

    for outside in ["../guide.md", "docs/../../guide.md", "/etc/passwd", ""] {
        let err = from_folder(&folder, pack(json!({ "files": [outside] }))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidAtlas);
        assert_eq!(
            err.message(),
            format!(
                "/context_packs/0/files/0: '{outside}' is not a relative path inside the atlas folder"
            )
        );
    }

    let err = from_folder(&folder, pack(json!({ "files": [] }))).unwrap_err();
    assert_eq!(err.message(), "/context_packs/0/files: must not be empty");
    let err = from_folder(&folder, pack(json!({ "files": "guide.md" }))).unwrap_err();
    assert_eq!(err.message(), "/context_packs/0/files: must be an array");
    let err = from_folder(&folder, pack(json!({ "files": [7] }))).unwrap_err();
    assert_eq!(err.message(), "/context_packs/0/files/0: must be a string");
}

#[test]
fn files_count_towards_the_content_limit() {
    let folder = TempFolder::new("pack-file-limit");
    folder.write("half.txt", "x".repeat(MAX_CONTEXT_LEN / 2).as_bytes());
    let mut exactly = pack(json!({ "content": "x".repeat(MAX_CONTEXT_LEN / 2 - 1) }));
    exactly["files"] = json!(["half.txt"]);
    let manifest = from_folder(&folder, exactly).unwrap();
    assert_eq!(manifest.context_packs[0].content.len(), MAX_CONTEXT_LEN);

    let mut one_over = pack(json!({ "content": "x".repeat(MAX_CONTEXT_LEN / 2) }));
    one_over["files"] = json!(["half.txt"]);
    let err = from_folder(&folder, one_over).unwrap_err();
    assert_eq!(
        err.message(),
        "/context_packs/0/files/0: pack content (inline content and files together) must be at most 4194304 bytes long"
    );
}

#[test]
fn a_file_error_is_reported_before_later_members() {
    let folder = TempFolder::new("pack-file-order");
    let err = from_folder(
        &folder,
        pack(json!({ "files": ["missing.md"], "conditions": {"keywords": []} })),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    let err = error_of(&atlas_with(json!({
        "context_packs": [pack(json!({ "files": ["x.md"], "conditions": 1 }))]
    })));
    assert_eq!(
        err.message(),
        "/context_packs/0/files: files are only allowed when the atlas is loaded from a file"
    );
}
