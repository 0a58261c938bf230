//! The `capabilities` section: named groups of the atlas's own actions.

use super::fields::{self, quoted, UniqueIds};
use super::json::Node;
use crate::atlas::manifest::CapabilitySpec;
use crate::error::Result;
use crate::limits::MAX_ID_LEN;
use std::collections::HashSet;

/// Reads the `capabilities` list. `action_ids` are the ids of the atlas's
/// actions, which every capability may only name.
pub(super) fn read_capabilities(
    node: &Node<'_, '_>,
    action_ids: &HashSet<&str>,
) -> Result<Vec<CapabilitySpec>> {
    let mut ids = UniqueIds::new("capability id");
    node.list(|item| read_capability(item, &mut ids, action_ids))
}

fn read_capability(
    node: &Node<'_, '_>,
    ids: &mut UniqueIds,
    action_ids: &HashSet<&str>,
) -> Result<CapabilitySpec> {
    let object = node.object()?;
    Ok(CapabilitySpec {
        capability_id: object.read("capability_id", |id| ids.claim(fields::plain_id(id)?, id))?,
        name: object.read("name", fields::text)?,
        description: object.read("description", fields::text)?,
        actions: object.read("actions", |list| {
            fields::non_empty_list(list, |item| atlas_action(item, action_ids))
        })?,
    })
}

/// An action id that one of this atlas's actions has.
fn atlas_action(node: &Node<'_, '_>, action_ids: &HashSet<&str>) -> Result<String> {
    let id = fields::bounded_string(node, MAX_ID_LEN)?;
    if !action_ids.contains(id.as_str()) {
        return Err(node.invalid(format!(
            "action {} is not defined in this atlas",
            quoted(&id)
        )));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{atlas_with, invalid_atlas, parsed};
    use serde_json::{json, Value};

    fn actions() -> Value {
        json!([
            {"action_id": "billing.charge", "name": "Charge", "description": "d"},
            {"action_id": "billing.refund", "name": "Refund", "description": "d"},
        ])
    }

    fn capability(extra: Value) -> Value {
        let mut capability = json!({
            "capability_id": "payments",
            "name": "Payments",
            "description": "Take and return money",
            "actions": ["billing.charge", "billing.refund"],
        });
        capability
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        capability
    }

    fn capability_error(extra: Value) -> String {
        invalid_atlas(&atlas_with(
            json!({ "actions": actions(), "capabilities": [capability(extra)] }),
        ))
    }

    #[test]
    fn reads_a_capability() {
        let manifest = parsed(&atlas_with(
            json!({ "actions": actions(), "capabilities": [capability(json!({}))] }),
        ));
        let capability = &manifest.capabilities[0];
        assert_eq!(capability.capability_id, "payments");
        assert_eq!(capability.name, "Payments");
        assert_eq!(capability.description, "Take and return money");
        assert_eq!(capability.actions, ["billing.charge", "billing.refund"]);
    }

    #[test]
    fn listed_actions_must_exist_in_this_atlas() {
        assert_eq!(
            capability_error(json!({ "actions": ["billing.charge", "crm.delete"] })),
            "/capabilities/0/actions/1: action 'crm.delete' is not defined in this atlas"
        );
        // Without an `actions` section, no capability can name anything.
        assert_eq!(
            invalid_atlas(&atlas_with(
                json!({ "capabilities": [capability(json!({}))] })
            )),
            "/capabilities/0/actions/0: action 'billing.charge' is not defined in this atlas"
        );
    }

    #[test]
    fn each_member_is_checked() {
        assert_eq!(
            capability_error(json!({ "capability_id": "" })),
            "/capabilities/0/capability_id: must not be empty"
        );
        assert_eq!(
            capability_error(json!({ "capability_id": "x".repeat(257) })),
            "/capabilities/0/capability_id: must be at most 256 bytes long"
        );
        assert_eq!(
            capability_error(json!({ "name": false })),
            "/capabilities/0/name: must be a string"
        );
        assert_eq!(
            capability_error(json!({ "description": 1 })),
            "/capabilities/0/description: must be a string"
        );
        assert_eq!(
            capability_error(json!({ "actions": [] })),
            "/capabilities/0/actions: must not be empty"
        );
        assert_eq!(
            capability_error(json!({ "actions": "billing.charge" })),
            "/capabilities/0/actions: must be an array"
        );
        assert_eq!(
            capability_error(json!({ "actions": [3] })),
            "/capabilities/0/actions/0: must be a string"
        );
    }

    #[test]
    fn required_members_are_reported_at_the_capability() {
        for member in ["capability_id", "name", "description", "actions"] {
            let mut value = capability(json!({}));
            value.as_object_mut().unwrap().remove(member);
            assert_eq!(
                invalid_atlas(&atlas_with(
                    json!({ "actions": actions(), "capabilities": [value] })
                )),
                format!("/capabilities/0: missing required member '{member}'")
            );
        }
    }

    #[test]
    fn capability_ids_are_unique_within_the_atlas() {
        assert_eq!(
            invalid_atlas(&atlas_with(json!({
                "actions": actions(),
                "capabilities": [capability(json!({})), capability(json!({}))],
            }))),
            "/capabilities/1/capability_id: duplicate capability id 'payments' (already used at /capabilities/0/capability_id)"
        );
    }
}
