use super::test_support::{atlas_with, error_of, invalid_atlas, parsed, TempFolder};
use super::*;
use crate::policy::kind::PolicyKind;
use crate::policy::pattern::Pattern;
use crate::policy::risk::{RiskTier, TierSet};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A manifest that uses every member CARP.md defines.
fn full_manifest() -> Value {
    json!({
        "atlas_version": "1.0",
        "atlas_id": "com.acme-corp.billing",
        "version": "2.1.0-rc.1+build.7",
        "name": "Billing",
        "description": "Invoices and payments",
        "domains": ["billing", "payments"],
        "future_member": {"ignored": true},
        "actions": [
            {
                "action_id": "billing.invoice.create",
                "name": "Create invoice",
                "description": "Creates a draft invoice",
                "parameters_schema": {"type": "object", "properties": {"amount": {"type": "integer"}}},
                "returns_schema": true,
                "risk_tier": "medium",
                "idempotent": true,
                "x-owner": "team-billing"
            },
            {
                "action_id": "billing.refund",
                "name": "Refund",
                "description": "Refunds a payment",
                "risk_tier": "critical"
            }
        ],
        "capabilities": [
            {
                "capability_id": "invoicing",
                "name": "Invoicing",
                "description": "Work with invoices",
                "actions": ["billing.invoice.create"]
            }
        ],
        "policies": [
            {
                "policy_id": "no-big-refunds",
                "type": "deny",
                "actions": ["billing.refund"],
                "priority": 100,
                "conditions": {"risk_tiers": ["critical"]},
                "parameters": {"reason": "Refunds are handled by finance"}
            },
            {
                "policy_id": "invoices-per-minute",
                "type": "rate_limit",
                "actions": ["billing.invoice.*"],
                "parameters": {"max_calls": 30, "window_seconds": 60}
            },
            {
                "policy_id": "refund-budget",
                "type": "budget",
                "actions": ["*.refund"],
                "parameters": {"max_calls": 2}
            },
            {
                "policy_id": "approve-refunds",
                "type": "require_approval",
                "actions": ["billing.refund"]
            },
            {"policy_id": "allow-all", "type": "allow", "actions": ["*"], "priority": -1}
        ],
        "context_packs": [
            {
                "pack_id": "refund-rules",
                "name": "Refund rules",
                "priority": 5,
                "content_type": "text/markdown",
                "content": "Refunds need a reason.",
                "conditions": {
                    "keywords": ["Refund"],
                    "risk_tiers": ["high", "critical"],
                    "context_hints": ["finance"]
                }
            },
            {"pack_id": "style", "name": "Style", "priority": 0, "content": "Be brief."}
        ]
    })
}

#[test]
fn a_full_manifest_becomes_the_expected_model() {
    let manifest = parsed(&full_manifest().to_string());
    assert_eq!(manifest.atlas_id, "com.acme-corp.billing");
    assert_eq!(manifest.version, "2.1.0-rc.1+build.7");
    assert_eq!(manifest.name, "Billing");
    assert_eq!(manifest.description, "Invoices and payments");
    assert_eq!(manifest.domains, ["billing", "payments"]);

    let [create, refund] = &manifest.actions[..] else {
        panic!("{:?}", manifest.actions)
    };
    assert_eq!(create.action_id, "billing.invoice.create");
    assert_eq!(create.name, "Create invoice");
    assert_eq!(create.description, "Creates a draft invoice");
    assert_eq!(
        create.parameters_schema.as_ref().unwrap().get(),
        r#"{"properties":{"amount":{"type":"integer"}},"type":"object"}"#
    );
    assert_eq!(create.returns_schema.as_ref().unwrap().get(), "true");
    assert_eq!(create.risk_tier, RiskTier::Medium);
    assert!(create.idempotent);
    assert_eq!(refund.action_id, "billing.refund");
    assert_eq!(refund.risk_tier, RiskTier::Critical);
    assert!(!refund.idempotent);
    assert!(refund.parameters_schema.is_none());

    let capability = &manifest.capabilities[0];
    assert_eq!(capability.capability_id, "invoicing");
    assert_eq!(capability.name, "Invoicing");
    assert_eq!(capability.description, "Work with invoices");
    assert_eq!(capability.actions, ["billing.invoice.create"]);

    let kinds: Vec<PolicyKind> = manifest.policies.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            PolicyKind::Deny,
            PolicyKind::RateLimit {
                max_calls: 30,
                window_seconds: 60
            },
            PolicyKind::Budget { max_calls: 2 },
            PolicyKind::RequireApproval,
            PolicyKind::Allow,
        ]
    );
    let deny = &manifest.policies[0];
    assert_eq!(deny.policy_id, "no-big-refunds");
    assert_eq!(deny.patterns, [Pattern::Exact("billing.refund".into())]);
    assert_eq!(deny.priority, 100);
    assert_eq!(deny.risk_tiers, [RiskTier::Critical].into_iter().collect());
    assert_eq!(
        deny.reason.as_deref(),
        Some("Refunds are handled by finance")
    );
    assert_eq!(
        deny.parameters.as_ref().unwrap().get(),
        r#"{"reason":"Refunds are handled by finance"}"#
    );
    assert_eq!(
        manifest.policies[1].patterns,
        [Pattern::Prefix("billing.invoice.".into())]
    );
    assert_eq!(
        manifest.policies[2].patterns,
        [Pattern::Suffix(".refund".into())]
    );
    let allow = &manifest.policies[4];
    assert_eq!(allow.patterns, [Pattern::Any]);
    assert_eq!(allow.priority, -1);
    assert_eq!(allow.risk_tiers, TierSet::ALL);
    assert!(allow.parameters.is_none());

    let [rules, style] = &manifest.context_packs[..] else {
        panic!("{:?}", manifest.context_packs)
    };
    assert_eq!(rules.pack_id, "refund-rules");
    assert_eq!(rules.name, "Refund rules");
    assert_eq!(rules.priority, 5);
    assert_eq!(rules.content_type, "text/markdown");
    assert_eq!(rules.content, "Refunds need a reason.");
    assert_eq!(rules.conditions.keywords, ["refund"]);
    assert_eq!(
        rules.conditions.risk_tiers,
        [RiskTier::High, RiskTier::Critical].into_iter().collect()
    );
    assert_eq!(rules.conditions.context_hints, ["finance"]);
    assert_eq!(style.content_type, "text/plain");
    assert_eq!(style.conditions.risk_tiers, TierSet::ALL);
}

#[test]
fn a_minimal_manifest_has_empty_sections() {
    let manifest = parsed(&atlas_with(json!({})));
    assert_eq!(manifest.atlas_id, "com.example.test");
    assert!(manifest.domains.is_empty());
    assert!(manifest.actions.is_empty());
    assert!(manifest.capabilities.is_empty());
    assert!(manifest.policies.is_empty());
    assert!(manifest.context_packs.is_empty());
    // Whitespace around the document is fine.
    parsed(&format!("\n\t {} \r\n", atlas_with(json!({}))));
}

#[test]
fn the_billing_example_loads_from_its_folder() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/atlas");
    let json = std::fs::read_to_string(folder.join("billing.json")).unwrap();
    let manifest = parse_manifest(&json, Origin::File { folder: &folder }).unwrap();
    assert_eq!(manifest.atlas_id, "com.example.billing");
    let tiers: Vec<RiskTier> = manifest.actions.iter().map(|a| a.risk_tier).collect();
    assert_eq!(
        tiers,
        [
            RiskTier::Low,
            RiskTier::Low,
            RiskTier::Medium,
            RiskTier::High,
            RiskTier::Critical
        ]
    );
    let types: Vec<&str> = manifest
        .policies
        .iter()
        .map(|p| p.kind.type_name())
        .collect();
    assert_eq!(
        types,
        ["deny", "allow", "allow", "require_approval", "rate_limit"]
    );
    let guide = std::fs::read_to_string(folder.join("billing-guide.md")).unwrap();
    let with_file = &manifest.context_packs[1];
    assert_eq!(
        with_file.content,
        format!("{}\n{guide}", "Read this before touching an invoice.")
    );

    // The same text without a folder may not name files.
    let err = parse_manifest(&json, Origin::Text).unwrap_err();
    assert_eq!(
        err.message(),
        "/context_packs/1/files: files are only allowed when the atlas is loaded from a file"
    );
}

#[test]
fn the_top_level_members_are_checked() {
    let cases = [
        (
            json!({ "atlas_version": "2.0" }),
            "/atlas_version: '2.0' is not a supported atlas_version (expected '1.0')",
        ),
        (
            json!({ "atlas_version": 1.0 }),
            "/atlas_version: must be a string",
        ),
        (
            json!({ "atlas_id": "billing" }),
            "/atlas_id: 'billing' is not a valid atlas id",
        ),
        (
            json!({ "atlas_id": "com.Example" }),
            "/atlas_id: 'com.Example' is not a valid atlas id",
        ),
        (
            json!({ "atlas_id": format!("com.{}", "a".repeat(260)) }),
            "/atlas_id: must be at most 256 bytes long",
        ),
        (
            json!({ "version": "1.0" }),
            "/version: '1.0' is not a valid semantic version (MAJOR.MINOR.PATCH)",
        ),
        (
            json!({ "version": "v1.0.0" }),
            "/version: 'v1.0.0' is not a valid semantic version (MAJOR.MINOR.PATCH)",
        ),
        (json!({ "version": 1 }), "/version: must be a string"),
        (json!({ "name": null }), "/name: must be a string"),
        (
            json!({ "name": "n".repeat(65_537) }),
            "/name: must be at most 65536 bytes long",
        ),
        (
            json!({ "description": true }),
            "/description: must be a string",
        ),
        (
            json!({ "domains": "billing" }),
            "/domains: must be an array",
        ),
        (
            json!({ "domains": ["billing", 2] }),
            "/domains/1: must be a string",
        ),
        (json!({ "actions": null }), "/actions: must be an array"),
        (
            json!({ "capabilities": {} }),
            "/capabilities: must be an array",
        ),
        (json!({ "policies": "none" }), "/policies: must be an array"),
        (
            json!({ "context_packs": 0 }),
            "/context_packs: must be an array",
        ),
    ];
    for (sections, message) in cases {
        assert_eq!(invalid_atlas(&atlas_with(sections)), message);
    }
}

#[test]
fn missing_top_level_members_are_reported_at_the_root() {
    for member in [
        "atlas_version",
        "atlas_id",
        "version",
        "name",
        "description",
    ] {
        let mut atlas: Value = serde_json::from_str(&atlas_with(json!({}))).unwrap();
        atlas.as_object_mut().unwrap().remove(member);
        assert_eq!(
            invalid_atlas(&atlas.to_string()),
            format!("/: missing required member '{member}'")
        );
    }
}

#[test]
fn the_root_must_be_an_object_without_repeated_members() {
    for json in ["[]", "\"atlas\"", "null", "1"] {
        assert_eq!(invalid_atlas(json), "/: must be an object");
    }
    let repeated = atlas_with(json!({})).replacen('{', r#"{"name": "first", "#, 1);
    assert_eq!(
        invalid_atlas(&repeated),
        "/: member 'name' appears more than once"
    );
}

#[test]
fn the_first_problem_in_table_order_wins() {
    // `actions` comes before `policies` in CARP.md, even when written after.
    let json = r#"{"policies": [{"policy_id": "p", "type": "allow", "actions": ["*foo"]}],
        "atlas_version": "1.0", "atlas_id": "com.example.test", "version": "1.0.0",
        "name": "T", "description": "D", "actions": [{"action_id": "bad"}]}"#;
    assert_eq!(
        invalid_atlas(json),
        "/actions/0/action_id: 'bad' is not a valid action id"
    );
    // Within a list, the earlier item wins.
    let json = atlas_with(json!({ "domains": [1, 2] }));
    assert_eq!(invalid_atlas(&json), "/domains/0: must be a string");
}

#[test]
fn unknown_members_are_ignored_everywhere() {
    let mut atlas = full_manifest();
    atlas["policies"][0]["conditions"]["time_of_day"] = json!("night");
    atlas["context_packs"][0]["conditions"]["locale"] = json!(["de"]);
    atlas["capabilities"][0]["x"] = json!(null);
    parsed(&atlas.to_string());
}

#[test]
fn text_that_is_not_json_is_invalid_json() {
    for (json, message) in [
        (
            "",
            "not valid JSON: EOF while parsing a value at line 1 column 0",
        ),
        (
            "{\"atlas_version\": NaN}",
            "not valid JSON: expected value at line 1 column 19",
        ),
        (
            "{\"a\": Infinity}",
            "not valid JSON: expected value at line 1 column 7",
        ),
        (
            "{\"a\": -Infinity}",
            "not valid JSON: invalid number at line 1 column 8",
        ),
        (
            "{\n  \"a\": [1, 2,]\n}",
            "not valid JSON: trailing comma at line 2 column 14",
        ),
        (
            "{} {}",
            "not valid JSON: trailing characters at line 1 column 4",
        ),
    ] {
        let err = error_of(json);
        assert_eq!(err.kind(), ErrorKind::InvalidJson, "{json}");
        assert_eq!(err.message(), message, "{json}");
    }
}

#[test]
fn deep_nesting_is_invalid_json_not_a_crash() {
    let depth = 10_000;
    let nested = "[".repeat(depth) + &"]".repeat(depth);
    let err = error_of(&nested);
    assert_eq!(err.kind(), ErrorKind::InvalidJson);
    assert_eq!(
        err.message(),
        "not valid JSON: recursion limit exceeded at line 1 column 128"
    );
    // Also inside a member that is otherwise kept unread, like a schema.
    let atlas = atlas_with(json!({ "domains": [] }))
        .replace("\"domains\":[]", &format!("\"domains\":{nested}"));
    assert_eq!(error_of(&atlas).kind(), ErrorKind::InvalidJson);
}

#[test]
fn an_oversized_document_is_an_invalid_argument() {
    let padding = " ".repeat(MAX_ATLAS_LEN);
    let json = atlas_with(json!({})) + &padding;
    let err = error_of(&json);
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.message(),
        format!(
            "atlas manifest must be at most 16777216 bytes long (it is {} bytes)",
            json.len()
        )
    );
}

#[test]
fn every_prefix_of_a_valid_manifest_fails_cleanly() {
    let folder = TempFolder::new("prefixes");
    let json = full_manifest().to_string();
    for (end, _) in json.char_indices().skip(1) {
        let result = parse_manifest(
            &json[..end],
            Origin::File {
                folder: folder.path(),
            },
        );
        assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidJson);
    }
}

/// Any JSON value built from the words a manifest uses, so random
/// documents reach deep into the rules instead of failing at the root.
fn manifest_like_value() -> impl Strategy<Value = Value> {
    let word = prop::sample::select(vec![
        "1.0",
        "com.example.test",
        "1.0.0",
        "billing.charge",
        "billing.*",
        "*.x",
        "*foo",
        "low",
        "critical",
        "deny",
        "allow",
        "rate_limit",
        "budget",
        "require_approval",
        "",
        "x.md",
        "../x",
        "/etc/passwd",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3.0f64..3.0).prop_map(Value::from),
        word.prop_map(Value::from),
    ];
    let key = prop::sample::select(vec![
        "atlas_version",
        "atlas_id",
        "version",
        "name",
        "description",
        "domains",
        "actions",
        "action_id",
        "parameters_schema",
        "risk_tier",
        "idempotent",
        "capabilities",
        "capability_id",
        "policies",
        "policy_id",
        "type",
        "priority",
        "conditions",
        "risk_tiers",
        "parameters",
        "reason",
        "max_calls",
        "window_seconds",
        "context_packs",
        "pack_id",
        "content",
        "files",
        "keywords",
        "context_hints",
    ]);
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..8).prop_map(|map| Value::Object(
                map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::test_support::fuzz_cases(512)))]

    #[test]
    fn random_manifests_never_panic(value in manifest_like_value()) {
        let folder = std::env::temp_dir().join("cra-atlas-proptest-does-not-exist");
        let json = value.to_string();
        for origin in [Origin::Text, Origin::File { folder: &folder }] {
            if let Err(err) = parse_manifest(&json, origin) {
                prop_assert!(matches!(err.kind(), ErrorKind::InvalidAtlas | ErrorKind::Io), "{}", err);
                prop_assert!(err.message().starts_with('/'), "{}", err);
            }
        }
    }

    #[test]
    fn random_sections_in_a_valid_manifest_never_panic(
        section in prop::sample::select(vec!["domains", "actions", "capabilities", "policies", "context_packs"]),
        value in manifest_like_value(),
    ) {
        let mut atlas = full_manifest();
        atlas[section] = value;
        // A broken section may also break a later one (capabilities name
        // actions), so only the kind and the pointer form are certain.
        if let Err(err) = parse_manifest(&atlas.to_string(), Origin::Text) {
            prop_assert_eq!(err.kind(), ErrorKind::InvalidAtlas);
            prop_assert!(err.message().starts_with('/'), "{}", err);
        }
    }
}
