//! The compiled set of loaded atlases.
//!
//! A catalog is immutable: loading or unloading an atlas builds a new one
//! and swaps it in, so a resolve works on one consistent snapshot without
//! holding a lock. Everything a resolve needs is prepared here: ids are
//! interned as indexes, every action has a plan per task risk tier (see
//! [`ActionPlan`]), and the JSON fragments of resolutions and events are
//! pre-serialized, so a resolve does integer work and concatenates bytes.

use super::manifest::{ContextPackSpec, Manifest, PolicyKind, RiskTier};
use crate::atlas::schema::ParametersSchema;
use crate::error::{Error, ErrorKind, Result};
use crate::json::write_json_string;
use crate::policy::evaluate::{ActionPlan, PolicyIndex, PolicyRule};
use crate::policy::usage::PolicyKey;
use std::collections::HashMap;
use std::sync::Arc;

pub type AtlasIndex = u32;
pub type ActionIndex = u32;
pub type PackIndex = u32;

/// One loaded atlas with the fragments that do not depend on other atlases.
/// Shared between catalogs, so loading another atlas does not redo this work.
#[derive(Debug)]
pub struct AtlasEntry {
    pub manifest: Manifest,
    /// Distinguishes two loads of the same atlas id (usage counters are keyed by it).
    pub serial: u64,
    pub id_json: Box<str>,
    pub actions: Vec<ActionFragments>,
    pub policies: Vec<PolicyFragments>,
    pub packs: Vec<PackFragments>,
}

/// Pre-serialized JSON of one action.
#[derive(Debug)]
pub struct ActionFragments {
    pub id_json: Box<str>,
    /// The `allowed_actions` entry, indexed by `requires_confirmation as usize`.
    pub allowed_json: [Box<str>; 2],
}

/// Pre-serialized JSON of one policy.
#[derive(Debug)]
pub struct PolicyFragments {
    pub id_json: Box<str>,
    /// The `reason` a denial by this policy reports.
    pub reason_json: Box<str>,
    /// The `constraints` entry of a rate-limit or budget policy.
    pub constraint_json: Option<Box<str>>,
}

/// Pre-serialized JSON of one context pack.
#[derive(Debug)]
pub struct PackFragments {
    pub id_json: Box<str>,
    /// The whole `context_blocks` entry.
    pub block_json: Box<str>,
    /// Content length in characters divided by 4, rounded up.
    pub token_estimate: u64,
}

/// Where a catalog-wide index points inside an atlas.
#[derive(Clone, Copy, Debug)]
struct Slot {
    atlas: AtlasIndex,
    position: u32,
}

/// The loaded atlases, compiled.
#[derive(Debug, Default)]
pub struct Catalog {
    atlases: Vec<Arc<AtlasEntry>>,
    /// Every action, in atlas order, atlases in load order.
    actions: Vec<Slot>,
    /// Per action, one plan per task risk tier.
    plans: Vec<[ActionPlan; 4]>,
    policies: Vec<Slot>,
    /// Every pack in atlas order, atlases in load order.
    packs: Vec<Slot>,
    atlas_by_id: HashMap<Box<str>, AtlasIndex>,
    action_by_id: HashMap<Box<str>, ActionIndex>,
    /// Capability ids may repeat across atlases: a request naming one gets
    /// the actions of all of them.
    actions_by_capability: HashMap<Box<str>, Vec<ActionIndex>>,
    /// The `atlas_ids` a request without its own list considered.
    all_atlas_ids_json: Box<str>,
    next_serial: u64,
}

impl Catalog {
    /// The catalog of a resolver with no atlas loaded.
    pub fn new() -> Catalog {
        Catalog::compile(Vec::new(), 0)
    }

    /// A catalog with `manifest` added after the loaded atlases.
    ///
    /// Errors: `Conflict` when its atlas id or one of its action ids is
    /// already loaded. `self` is left as it was either way.
    pub fn with_atlas(&self, manifest: Manifest) -> Result<Catalog> {
        self.check_unique(&manifest)?;
        let entry = Arc::new(AtlasEntry::new(manifest, self.next_serial));
        let mut atlases = self.atlases.clone();
        atlases.push(entry);
        Ok(Catalog::compile(atlases, self.next_serial + 1))
    }

    /// A catalog without the atlas `atlas_id`.
    ///
    /// Errors: `NotFound` when no such atlas is loaded.
    pub fn without_atlas(&self, atlas_id: &str) -> Result<Catalog> {
        let index = self.atlas_index(atlas_id).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("atlas '{atlas_id}' is not loaded"),
            )
        })?;
        let mut atlases = self.atlases.clone();
        atlases.remove(index as usize);
        Ok(Catalog::compile(atlases, self.next_serial))
    }

    fn check_unique(&self, manifest: &Manifest) -> Result<()> {
        if self.atlas_by_id.contains_key(manifest.atlas_id.as_str()) {
            return Err(Error::at(
                ErrorKind::Conflict,
                "/atlas_id",
                format!("atlas '{}' is already loaded", manifest.atlas_id),
            ));
        }
        for (position, action) in manifest.actions.iter().enumerate() {
            if let Some(&index) = self.action_by_id.get(action.action_id.as_str()) {
                let owner = &self.atlas_of_action(index).manifest.atlas_id;
                return Err(Error::at(
                    ErrorKind::Conflict,
                    &format!("/actions/{position}/action_id"),
                    format!(
                        "action '{}' is already loaded by atlas '{owner}'",
                        action.action_id
                    ),
                ));
            }
        }
        Ok(())
    }

    fn compile(atlases: Vec<Arc<AtlasEntry>>, next_serial: u64) -> Catalog {
        let mut catalog = Catalog {
            next_serial,
            ..Catalog::default()
        };
        let mut all_ids = Vec::with_capacity(atlases.len());
        for (atlas, entry) in atlases.iter().enumerate() {
            let atlas = atlas as AtlasIndex;
            catalog.index_atlas(atlas, entry);
            all_ids.push(entry.id_json.as_ref());
        }
        catalog.all_atlas_ids_json = json_array(all_ids.iter().copied());
        catalog.atlases = atlases;
        catalog.plans = catalog.compile_plans();
        catalog
    }

    fn index_atlas(&mut self, atlas: AtlasIndex, entry: &AtlasEntry) {
        let manifest = &entry.manifest;
        self.atlas_by_id
            .insert(manifest.atlas_id.as_str().into(), atlas);
        let first_action = self.actions.len() as ActionIndex;
        for (position, action) in manifest.actions.iter().enumerate() {
            let index = self.actions.len() as ActionIndex;
            self.action_by_id
                .insert(action.action_id.as_str().into(), index);
            self.actions.push(slot(atlas, position));
        }
        for capability in &manifest.capabilities {
            let members = self
                .actions_by_capability
                .entry(capability.capability_id.as_str().into())
                .or_default();
            for action_id in &capability.actions {
                // Validation guarantees the action is in this atlas.
                if let Some(position) = manifest
                    .actions
                    .iter()
                    .position(|a| &a.action_id == action_id)
                {
                    members.push(first_action + position as ActionIndex);
                }
            }
            members.sort_unstable();
            members.dedup();
        }
        self.policies
            .extend((0..manifest.policies.len()).map(|position| slot(atlas, position)));
        self.packs
            .extend((0..manifest.context_packs.len()).map(|position| slot(atlas, position)));
    }

    fn compile_plans(&self) -> Vec<[ActionPlan; 4]> {
        let rules: Vec<PolicyRule<'_>> = self
            .policies
            .iter()
            .map(|&slot| {
                let spec =
                    &self.atlases[slot.atlas as usize].manifest.policies[slot.position as usize];
                PolicyRule {
                    kind: spec.kind,
                    patterns: &spec.patterns,
                    priority: spec.priority,
                    risk_tiers: spec.risk_tiers,
                }
            })
            .collect();
        (0..self.actions.len() as ActionIndex)
            .map(|action| {
                let id = self.action_id(action);
                RiskTier::ALL.map(|tier| ActionPlan::compile(id, tier, &rules))
            })
            .collect()
    }

    // ----- lookups used by a resolve -----

    #[cfg(test)]
    pub fn atlas_count(&self) -> usize {
        self.atlases.len()
    }

    pub fn atlas_index(&self, atlas_id: &str) -> Option<AtlasIndex> {
        self.atlas_by_id.get(atlas_id).copied()
    }

    pub fn atlas(&self, atlas: AtlasIndex) -> &AtlasEntry {
        &self.atlases[atlas as usize]
    }

    /// The actions of `atlas`, as a range of catalog indexes.
    #[cfg(test)]
    pub fn actions_of(&self, atlas: AtlasIndex) -> std::ops::Range<ActionIndex> {
        let start = self.actions.partition_point(|slot| slot.atlas < atlas);
        let end = self.actions.partition_point(|slot| slot.atlas <= atlas);
        start as ActionIndex..end as ActionIndex
    }

    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    pub fn action_index(&self, action_id: &str) -> Option<ActionIndex> {
        self.action_by_id.get(action_id).copied()
    }

    pub fn capability_actions(&self, capability_id: &str) -> Option<&[ActionIndex]> {
        self.actions_by_capability
            .get(capability_id)
            .map(Vec::as_slice)
    }

    fn atlas_of_action(&self, action: ActionIndex) -> &AtlasEntry {
        &self.atlases[self.actions[action as usize].atlas as usize]
    }

    pub fn action_atlas(&self, action: ActionIndex) -> AtlasIndex {
        self.actions[action as usize].atlas
    }

    pub fn action_id(&self, action: ActionIndex) -> &str {
        let slot = self.actions[action as usize];
        &self.atlases[slot.atlas as usize].manifest.actions[slot.position as usize].action_id
    }

    pub fn action_fragments(&self, action: ActionIndex) -> &ActionFragments {
        let slot = self.actions[action as usize];
        &self.atlases[slot.atlas as usize].actions[slot.position as usize]
    }

    pub fn plan(&self, action: ActionIndex, tier: RiskTier) -> &ActionPlan {
        &self.plans[action as usize][tier as usize]
    }

    pub fn policy_kind(&self, policy: PolicyIndex) -> PolicyKind {
        let slot = self.policies[policy as usize];
        self.atlases[slot.atlas as usize].manifest.policies[slot.position as usize].kind
    }

    pub fn policy_key(&self, policy: PolicyIndex) -> PolicyKey {
        let slot = self.policies[policy as usize];
        PolicyKey {
            atlas_serial: self.atlases[slot.atlas as usize].serial,
            position: slot.position,
        }
    }

    /// The compiled `parameters_schema` of `action`, if it has one.
    pub fn parameters_check(&self, action: ActionIndex) -> Option<&ParametersSchema> {
        let slot = self.actions[action as usize];
        self.atlases[slot.atlas as usize].manifest.actions[slot.position as usize]
            .parameters_check
            .as_ref()
    }

    pub fn policy_id(&self, policy: PolicyIndex) -> &str {
        let slot = self.policies[policy as usize];
        &self.atlases[slot.atlas as usize].manifest.policies[slot.position as usize].policy_id
    }

    /// The reason a denial by `policy` reports (CARP.md, "Evaluating one action").
    pub fn denial_reason(&self, policy: PolicyIndex) -> &str {
        let slot = self.policies[policy as usize];
        denial_reason(&self.atlases[slot.atlas as usize].manifest.policies[slot.position as usize])
    }

    pub fn policy_fragments(&self, policy: PolicyIndex) -> &PolicyFragments {
        let slot = self.policies[policy as usize];
        &self.atlases[slot.atlas as usize].policies[slot.position as usize]
    }

    pub fn pack_count(&self) -> usize {
        self.packs.len()
    }

    pub fn pack_atlas(&self, pack: PackIndex) -> AtlasIndex {
        self.packs[pack as usize].atlas
    }

    pub fn pack(&self, pack: PackIndex) -> (&ContextPackSpec, &PackFragments) {
        let slot = self.packs[pack as usize];
        let atlas = &self.atlases[slot.atlas as usize];
        (
            &atlas.manifest.context_packs[slot.position as usize],
            &atlas.packs[slot.position as usize],
        )
    }

    pub fn all_atlas_ids_json(&self) -> &str {
        &self.all_atlas_ids_json
    }
}

fn slot(atlas: AtlasIndex, position: usize) -> Slot {
    Slot {
        atlas,
        position: position as u32,
    }
}

impl AtlasEntry {
    fn new(manifest: Manifest, serial: u64) -> AtlasEntry {
        let id_json = json_string(&manifest.atlas_id);
        let actions = manifest.actions.iter().map(action_fragments).collect();
        let policies = manifest.policies.iter().map(policy_fragments).collect();
        let packs = manifest
            .context_packs
            .iter()
            .map(|pack| pack_fragments(pack, &id_json))
            .collect();
        AtlasEntry {
            manifest,
            serial,
            id_json,
            actions,
            policies,
            packs,
        }
    }
}

fn action_fragments(action: &super::manifest::ActionSpec) -> ActionFragments {
    let allowed = |requires_confirmation: bool| {
        let mut out = String::with_capacity(256);
        out.push_str("{\"action_id\":");
        write_json_string(&mut out, &action.action_id);
        out.push_str(",\"name\":");
        write_json_string(&mut out, &action.name);
        out.push_str(",\"description\":");
        write_json_string(&mut out, &action.description);
        out.push_str(",\"parameters_schema\":");
        out.push_str(
            action
                .parameters_schema
                .as_deref()
                .map_or("null", |raw| raw.get()),
        );
        out.push_str(",\"returns_schema\":");
        out.push_str(
            action
                .returns_schema
                .as_deref()
                .map_or("null", |raw| raw.get()),
        );
        out.push_str(",\"risk_tier\":\"");
        out.push_str(action.risk_tier.as_str());
        out.push_str("\",\"requires_confirmation\":");
        out.push_str(if requires_confirmation {
            "true"
        } else {
            "false"
        });
        out.push_str(",\"idempotent\":");
        out.push_str(if action.idempotent { "true" } else { "false" });
        out.push('}');
        out.into_boxed_str()
    };
    ActionFragments {
        id_json: json_string(&action.action_id),
        allowed_json: [allowed(false), allowed(true)],
    }
}

/// The reasons CARP.md gives for each way of being denied.
pub mod reasons {
    pub const DENIED_BY_POLICY: &str = "Denied by policy";
    pub const RATE_LIMIT_EXCEEDED: &str = "Rate limit exceeded";
    pub const BUDGET_EXHAUSTED: &str = "Budget exhausted";
    pub const NO_POLICY_ALLOWS: &str = "No policy allows this action";
    /// The `policy_id` reported for the default rule.
    pub const DEFAULT_DENY_ID: &str = "default-deny";
}

/// The reason a denial by `policy` reports.
fn denial_reason(policy: &super::manifest::PolicySpec) -> &str {
    match policy.kind {
        PolicyKind::Deny => policy
            .reason
            .as_deref()
            .unwrap_or(reasons::DENIED_BY_POLICY),
        PolicyKind::RateLimit { .. } => reasons::RATE_LIMIT_EXCEEDED,
        PolicyKind::Budget { .. } => reasons::BUDGET_EXHAUSTED,
        // Approval and allow policies never deny.
        PolicyKind::RequireApproval | PolicyKind::Allow => reasons::DENIED_BY_POLICY,
    }
}

fn policy_fragments(policy: &super::manifest::PolicySpec) -> PolicyFragments {
    let reason = denial_reason(policy);
    let constraint_json = matches!(
        policy.kind,
        PolicyKind::RateLimit { .. } | PolicyKind::Budget { .. }
    )
    .then(|| {
        let mut out = String::from("{\"constraint_id\":");
        write_json_string(&mut out, &policy.policy_id);
        out.push_str(",\"type\":\"");
        out.push_str(policy.kind.type_name());
        out.push_str("\",\"parameters\":");
        out.push_str(policy.parameters.as_deref().map_or("{}", |raw| raw.get()));
        out.push('}');
        out.into_boxed_str()
    });
    PolicyFragments {
        id_json: json_string(&policy.policy_id),
        reason_json: json_string(reason),
        constraint_json,
    }
}

fn pack_fragments(pack: &ContextPackSpec, atlas_id_json: &str) -> PackFragments {
    let token_estimate = (pack.content.chars().count() as u64).div_ceil(4);
    let mut out = String::with_capacity(pack.content.len() + 128);
    out.push_str("{\"block_id\":");
    write_json_string(&mut out, &pack.pack_id);
    out.push_str(",\"source\":");
    out.push_str(atlas_id_json);
    out.push_str(",\"content_type\":");
    write_json_string(&mut out, &pack.content_type);
    out.push_str(",\"content\":");
    write_json_string(&mut out, &pack.content);
    out.push_str(",\"priority\":");
    out.push_str(&pack.priority.to_string());
    out.push_str(",\"token_estimate\":");
    out.push_str(&token_estimate.to_string());
    out.push('}');
    PackFragments {
        id_json: json_string(&pack.pack_id),
        block_json: out.into_boxed_str(),
        token_estimate,
    }
}

/// `text` as a JSON string (quoted, canonically escaped).
pub fn json_string(text: &str) -> Box<str> {
    let mut out = String::with_capacity(text.len() + 2);
    write_json_string(&mut out, text);
    out.into_boxed_str()
}

/// A JSON array of already-serialized elements.
pub fn json_array<'a>(elements: impl Iterator<Item = &'a str>) -> Box<str> {
    let mut out = String::from("[");
    for (position, element) in elements.enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(element);
    }
    out.push(']');
    out.into_boxed_str()
}

/// Whether a pack's conditions hold for a request.
pub fn pack_selected(
    pack: &ContextPackSpec,
    goal_lowercase: &str,
    tier: RiskTier,
    context_hints: &[&str],
) -> bool {
    let conditions = &pack.conditions;
    let keywords_hold = conditions.keywords.is_empty()
        || conditions
            .keywords
            .iter()
            .any(|k| goal_lowercase.contains(k.as_str()));
    let hints_hold = conditions.context_hints.is_empty()
        || conditions
            .context_hints
            .iter()
            .any(|h| context_hints.contains(&h.as_str()));
    keywords_hold && hints_hold && conditions.risk_tiers.contains(tier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::validate::{parse_manifest, Origin};
    use crate::policy::evaluate::{Decider, Verdict};
    use serde_json::json;

    fn manifest(atlas_id: &str, actions: &[&str], policies: serde_json::Value) -> Manifest {
        let actions: Vec<_> = actions
            .iter()
            .map(|id| json!({"action_id": id, "name": id, "description": "d"}))
            .collect();
        let text = json!({
            "atlas_version": "1.0", "atlas_id": atlas_id, "version": "1.0.0", "name": "n",
            "description": "d", "actions": actions, "policies": policies,
            "capabilities": [{"capability_id": "shared", "name": "n", "description": "d",
                              "actions": [actions[0]["action_id"]]}]
        });
        parse_manifest(&text.to_string(), Origin::Text).unwrap()
    }

    #[test]
    fn policies_of_one_atlas_govern_actions_of_another_and_leave_with_it() {
        let billing = manifest(
            "com.example.billing",
            &["billing.read", "billing.delete"],
            json!([
                {"policy_id": "allow-billing", "type": "allow", "actions": ["billing.*"]}
            ]),
        );
        let security = manifest(
            "com.example.security",
            &["audit.read"],
            json!([
                {"policy_id": "no-deletes", "type": "deny", "actions": ["*.delete"]}
            ]),
        );
        let catalog = Catalog::new().with_atlas(billing).unwrap();
        let delete = catalog.action_index("billing.delete").unwrap();
        let allowed = catalog.plan(delete, RiskTier::Low).evaluate(|_| false);
        assert_eq!(allowed.verdict, Verdict::Allow);

        let both = catalog.with_atlas(security).unwrap();
        let denied = both.plan(delete, RiskTier::Low).evaluate(|_| false);
        assert_eq!(denied.verdict, Verdict::Deny);
        let Decider::Policy(policy) = denied.decider else {
            panic!("a policy decides")
        };
        assert_eq!(&*both.policy_fragments(policy).id_json, "\"no-deletes\"");
        assert_eq!(
            both.all_atlas_ids_json(),
            r#"["com.example.billing","com.example.security"]"#
        );

        let without = both.without_atlas("com.example.security").unwrap();
        assert_eq!(
            without
                .plan(delete, RiskTier::Low)
                .evaluate(|_| false)
                .verdict,
            Verdict::Allow
        );
        assert_eq!(without.action_index("audit.read"), None);
        // The original catalogs are untouched: snapshots in use stay valid.
        assert_eq!(catalog.atlas_count(), 1);
        assert_eq!(both.atlas_count(), 2);
    }

    #[test]
    fn indexes_follow_load_order_and_capabilities_unite_across_atlases() {
        let catalog = Catalog::new()
            .with_atlas(manifest("com.example.a", &["a.one", "a.two"], json!([])))
            .unwrap()
            .with_atlas(manifest("com.example.b", &["b.one"], json!([])))
            .unwrap();
        assert_eq!(catalog.actions_of(0), 0..2);
        assert_eq!(catalog.actions_of(1), 2..3);
        assert_eq!(catalog.action_id(2), "b.one");
        assert_eq!(catalog.capability_actions("shared"), Some(&[0, 2][..]));
        assert_eq!(catalog.capability_actions("missing"), None);
        // Unloading the first atlas shifts the indexes of the second.
        let rest = catalog.without_atlas("com.example.a").unwrap();
        assert_eq!(rest.action_index("b.one"), Some(0));
        assert_eq!(rest.capability_actions("shared"), Some(&[0][..]));
        // Each load gets a new serial, so usage keys never collide.
        assert_ne!(catalog.atlas(0).serial, catalog.atlas(1).serial);
    }

    #[test]
    fn fragments_are_valid_json_with_the_members_of_carp_md() {
        let catalog = Catalog::new()
            .with_atlas(manifest(
                "com.example.a",
                &["a.one"],
                json!([
                    {"policy_id": "rate", "type": "rate_limit", "actions": ["*"],
                     "parameters": {"max_calls": 3, "window_seconds": 9}}
                ]),
            ))
            .unwrap();
        let allowed: serde_json::Value =
            serde_json::from_str(&catalog.action_fragments(0).allowed_json[1]).unwrap();
        assert_eq!(allowed["requires_confirmation"], true);
        assert_eq!(allowed["parameters_schema"], serde_json::Value::Null);
        let constraint = catalog
            .policy_fragments(0)
            .constraint_json
            .as_deref()
            .unwrap();
        let constraint: serde_json::Value = serde_json::from_str(constraint).unwrap();
        assert_eq!(
            constraint,
            json!({"constraint_id": "rate", "type": "rate_limit",
                   "parameters": {"max_calls": 3, "window_seconds": 9}})
        );
    }
}
