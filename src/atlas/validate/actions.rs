//! The `actions` section: the actions an atlas offers.

use super::fields::{self, UniqueIds};
use super::json::Node;
use crate::atlas::manifest::{ActionSpec, RiskTier};
use crate::atlas::schema::ParametersSchema;
use crate::error::Result;
use serde_json::value::RawValue;

/// Reads the `actions` list. Action ids must be unique within the atlas
/// (uniqueness across loaded atlases is the catalog's job).
pub(super) fn read_actions(node: &Node<'_, '_>) -> Result<Vec<ActionSpec>> {
    let mut ids = UniqueIds::new("action id");
    node.list(|item| read_action(item, &mut ids))
}

/// Reads one action, member by member in CARP.md's order (struct fields are
/// evaluated in the order written, so the first broken member is reported).
fn read_action(node: &Node<'_, '_>, ids: &mut UniqueIds) -> Result<ActionSpec> {
    let object = node.object()?;
    let action_id = object.read("action_id", |id| ids.claim(fields::action_id(id)?, id))?;
    let name = object.read("name", fields::text)?;
    let description = object.read("description", fields::text)?;
    let parameters = object.read_optional("parameters_schema", parameters_schema)?;
    let (parameters_schema, parameters_check) = parameters.unzip();
    Ok(ActionSpec {
        action_id,
        name,
        description,
        parameters_schema,
        parameters_check,
        returns_schema: object.read_optional("returns_schema", |schema| schema.schema_text())?,
        risk_tier: object
            .read_optional("risk_tier", fields::risk_tier)?
            .unwrap_or(RiskTier::Low),
        idempotent: object
            .read_optional("idempotent", |flag| flag.boolean())?
            .unwrap_or(false),
    })
}

/// A parameters schema as written, and compiled for checks.
fn parameters_schema(node: &Node<'_, '_>) -> Result<(Box<RawValue>, ParametersSchema)> {
    let text = node.schema_text()?;
    let compiled = ParametersSchema::compile(text.get())
        .map_err(|err| node.invalid(format!("is not a JSON Schema (draft 2020-12): {err}")))?;
    Ok((text, compiled))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{atlas_with, invalid_atlas, parsed};
    use super::*;
    use serde_json::json;

    fn action(extra: serde_json::Value) -> serde_json::Value {
        let mut action = json!({
            "action_id": "billing.charge",
            "name": "Charge",
            "description": "Charges a card",
        });
        action
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        action
    }

    fn action_error(extra: serde_json::Value) -> String {
        invalid_atlas(&atlas_with(json!({ "actions": [action(extra)] })))
    }

    #[test]
    fn defaults_apply_to_absent_members() {
        let manifest = parsed(&atlas_with(json!({ "actions": [action(json!({}))] })));
        let action = &manifest.actions[0];
        assert_eq!(action.action_id, "billing.charge");
        assert_eq!(action.name, "Charge");
        assert_eq!(action.description, "Charges a card");
        assert!(action.parameters_schema.is_none());
        assert!(action.returns_schema.is_none());
        assert_eq!(action.risk_tier, RiskTier::Low);
        assert!(!action.idempotent);
    }

    #[test]
    fn schemas_are_kept_exactly_as_written() {
        let json = r#"{"atlas_version": "1.0", "atlas_id": "com.example.test",
            "version": "1.0.0", "name": "T", "description": "D",
            "actions": [{"action_id": "billing.charge", "name": "Charge", "description": "d",
                "parameters_schema": {"type" :"object", "required": ["amount"], "maximum": 1e3},
                "returns_schema": false, "risk_tier": "high", "idempotent": true}]}"#;
        let manifest = parsed(json);
        let action = &manifest.actions[0];
        assert_eq!(
            action.parameters_schema.as_ref().unwrap().get(),
            r#"{"type" :"object", "required": ["amount"], "maximum": 1e3}"#
        );
        assert_eq!(action.returns_schema.as_ref().unwrap().get(), "false");
        assert_eq!(action.risk_tier, RiskTier::High);
        assert!(action.idempotent);
    }

    #[test]
    fn each_member_is_checked() {
        assert_eq!(
            action_error(json!({ "action_id": "Billing.Charge" })),
            "/actions/0/action_id: 'Billing.Charge' is not a valid action id"
        );
        assert_eq!(
            action_error(json!({ "action_id": "billing" })),
            "/actions/0/action_id: 'billing' is not a valid action id"
        );
        assert_eq!(
            action_error(json!({ "action_id": 7 })),
            "/actions/0/action_id: must be a string"
        );
        assert_eq!(
            action_error(json!({ "name": null })),
            "/actions/0/name: must be a string"
        );
        assert_eq!(
            action_error(json!({ "description": ["x"] })),
            "/actions/0/description: must be a string"
        );
        assert_eq!(
            action_error(json!({ "parameters_schema": "object" })),
            "/actions/0/parameters_schema: must be an object or a boolean"
        );
        let error = action_error(json!({ "parameters_schema": {"type": "nonsense"} }));
        assert!(
            error.starts_with(
                "/actions/0/parameters_schema: is not a JSON Schema (draft 2020-12): "
            ),
            "{error}"
        );
        let error =
            action_error(json!({ "parameters_schema": {"$ref": "https://example.com/s.json"} }));
        assert!(
            error.starts_with("/actions/0/parameters_schema: "),
            "{error}"
        );
        assert_eq!(
            action_error(json!({ "returns_schema": [] })),
            "/actions/0/returns_schema: must be an object or a boolean"
        );
        assert_eq!(
            action_error(json!({ "risk_tier": "severe" })),
            "/actions/0/risk_tier: 'severe' is not a risk tier (expected low, medium, high or critical)"
        );
        assert_eq!(
            action_error(json!({ "idempotent": "yes" })),
            "/actions/0/idempotent: must be a boolean"
        );
    }

    #[test]
    fn required_members_are_reported_at_the_action() {
        for member in ["action_id", "name", "description"] {
            let mut value = action(json!({}));
            value.as_object_mut().unwrap().remove(member);
            assert_eq!(
                invalid_atlas(&atlas_with(json!({ "actions": [value] }))),
                format!("/actions/0: missing required member '{member}'")
            );
        }
    }

    #[test]
    fn the_list_and_its_items_have_json_types() {
        assert_eq!(
            invalid_atlas(&atlas_with(json!({ "actions": {} }))),
            "/actions: must be an array"
        );
        assert_eq!(
            invalid_atlas(&atlas_with(json!({ "actions": ["billing.charge"] }))),
            "/actions/0: must be an object"
        );
    }

    #[test]
    fn action_ids_are_unique_within_the_atlas() {
        let refund = action(json!({ "action_id": "billing.refund" }));
        let again = action(json!({ "name": 1 }));
        assert_eq!(
            invalid_atlas(&atlas_with(json!({ "actions": [action(json!({})), refund, again] }))),
            "/actions/2/action_id: duplicate action id 'billing.charge' (already used at /actions/0/action_id)"
        );
    }

    #[test]
    fn the_first_broken_member_in_table_order_wins() {
        // `name` comes before `risk_tier` in CARP.md, whatever the text order.
        let json = r#"{"atlas_version": "1.0", "atlas_id": "com.example.test",
            "version": "1.0.0", "name": "T", "description": "D",
            "actions": [{"risk_tier": "bad", "action_id": "a.b", "description": "d", "name": 5}]}"#;
        assert_eq!(invalid_atlas(json), "/actions/0/name: must be a string");
    }
}
