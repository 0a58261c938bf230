//! Deciding a request and writing its resolution (CARP.md, "Resolution").

use super::request::Request;
use crate::atlas::catalog::{pack_selected, reasons, ActionIndex, AtlasIndex, Catalog, PackIndex};
use crate::atlas::manifest::RiskTier;
use crate::error::{Error, ErrorKind, Result};
use crate::json::write_json_string;
use crate::policy::evaluate::{Decider, Evaluation, PolicyIndex, Verdict};
use crate::policy::usage::UsageView;
use crate::time::clock::UnixMicros;
use crate::time::timestamp::push_timestamp;
use crate::trace::event::ids::{uuid_text, UUID_TEXT_LEN};
use crate::trace::record::operation::{Blocks, Evaluations};
use uuid::Uuid;

/// The overall decision of a resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionType {
    Allow,
    Deny,
    Partial,
    RequiresApproval,
}

impl DecisionType {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionType::Allow => "allow",
            DecisionType::Deny => "deny",
            DecisionType::Partial => "partial",
            DecisionType::RequiresApproval => "requires_approval",
        }
    }

    /// `decision.reason`: null for `allow`, a sentence otherwise.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            DecisionType::Allow => None,
            DecisionType::Partial => Some("Some actions are denied by policy"),
            DecisionType::Deny => Some("No action is allowed for this request"),
            DecisionType::RequiresApproval => Some("Some allowed actions require human approval"),
        }
    }

    fn of(allowed: u32, denied: u32, needs_approval: bool) -> DecisionType {
        if needs_approval {
            DecisionType::RequiresApproval
        } else if allowed == 0 {
            DecisionType::Deny
        } else if denied == 0 {
            DecisionType::Allow
        } else {
            DecisionType::Partial
        }
    }
}

/// The atlases, actions and packs a request considers. Lists are only
/// made when the request narrows the scope; otherwise it is everything in
/// the catalog, with nothing to allocate.
pub struct Scope {
    /// The atlases the request named, in its order; `None` for all.
    pub atlases: Option<Vec<AtlasIndex>>,
    /// The actions of the capabilities the request named, in catalog
    /// order; `None` when it named none.
    capability_actions: Option<Vec<ActionIndex>>,
}

impl Scope {
    /// Resolves the request's `atlas_ids` and `required_capabilities`.
    ///
    /// Errors: `NotFound` naming the JSON pointer of an unknown atlas or capability.
    pub fn of(catalog: &Catalog, request: &Request<'_>) -> Result<Scope> {
        let atlases = match &request.atlas_ids {
            None => None,
            Some(ids) => Some(atlas_indexes(catalog, ids)?),
        };
        let capability_actions = if request.required_capabilities.is_empty() {
            None
        } else {
            Some(capability_actions(catalog, request)?)
        };
        Ok(Scope {
            atlases,
            capability_actions,
        })
    }

    fn includes(&self, atlas: AtlasIndex) -> bool {
        self.atlases
            .as_ref()
            .is_none_or(|list| list.contains(&atlas))
    }

    /// The actions considered, in catalog order.
    pub fn actions<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = ActionIndex> + 'a {
        // One of the two sources is empty: the named capabilities' actions,
        // or every action.
        let (listed, every): (&[ActionIndex], _) = match &self.capability_actions {
            Some(listed) => (listed, 0..0),
            None => (&[], 0..catalog.action_count() as ActionIndex),
        };
        listed
            .iter()
            .copied()
            .chain(every)
            .filter(|&action| self.includes(catalog.action_atlas(action)))
    }

    /// Every action of the catalog, when the request narrows nothing: the
    /// usual request, which then skips the filter [`Self::actions`] applies.
    fn every_action(&self, catalog: &Catalog) -> Option<std::ops::Range<ActionIndex>> {
        let narrowed = self.atlases.is_some() || self.capability_actions.is_some();
        (!narrowed).then(|| 0..catalog.action_count() as ActionIndex)
    }

    /// How many actions [`Self::actions`] gives.
    pub fn action_count(&self, catalog: &Catalog) -> usize {
        match self.every_action(catalog) {
            Some(every) => every.len(),
            None => self.actions(catalog).count(),
        }
    }

    /// The packs considered, in catalog order.
    pub fn packs<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = PackIndex> + 'a {
        (0..catalog.pack_count() as PackIndex)
            .filter(|&pack| self.includes(catalog.pack_atlas(pack)))
    }
}

fn atlas_indexes(catalog: &Catalog, ids: &[std::borrow::Cow<'_, str>]) -> Result<Vec<AtlasIndex>> {
    ids.iter()
        .enumerate()
        .map(|(position, id)| {
            catalog.atlas_index(id).ok_or_else(|| {
                Error::at(
                    ErrorKind::NotFound,
                    &format!("/atlas_ids/{position}"),
                    format!("atlas '{id}' is not loaded"),
                )
            })
        })
        .collect()
}

/// The union of the named capabilities' actions, in catalog order.
fn capability_actions(catalog: &Catalog, request: &Request<'_>) -> Result<Vec<ActionIndex>> {
    let mut actions = Vec::new();
    for (position, capability) in request.required_capabilities.iter().enumerate() {
        let members = catalog.capability_actions(capability).ok_or_else(|| {
            Error::at(
                ErrorKind::NotFound,
                &format!("/task/required_capabilities/{position}"),
                format!("capability '{capability}' is not defined by any loaded atlas"),
            )
        })?;
        actions.extend_from_slice(members);
    }
    actions.sort_unstable();
    actions.dedup();
    Ok(actions)
}

/// What the policies decided for one request. The evaluations and blocks
/// live in the resolve's trace record, which the decision borrows.
pub struct Decision<'r> {
    /// One per action considered, in catalog order.
    pub evaluations: &'r [(ActionIndex, Evaluation)],
    /// Selected packs, highest priority first (ties in load order).
    pub blocks: &'r [PackIndex],
    /// Rate-limit and budget policies on allowed actions.
    pub constraints: Vec<PolicyIndex>,
    pub decision_type: DecisionType,
    pub allowed_count: u32,
    pub denied_count: u32,
}

impl<'r> Decision<'r> {
    /// Decides `request` within `scope`: evaluates every action into
    /// `evaluations` (what it held is replaced), with the `blocks` that
    /// [`select_blocks`] chose. Reads `usage`: a resolve never consumes
    /// rate limits or budgets.
    pub fn make(
        catalog: &Catalog,
        scope: &Scope,
        request: &Request<'_>,
        usage: UsageView<'_>,
        now: UnixMicros,
        evaluations: &'r mut Evaluations,
        blocks: &'r [PackIndex],
    ) -> Decision<'r> {
        let is_exhausted = |policy: PolicyIndex| {
            usage.is_exhausted(catalog.policy_key(policy), catalog.policy_kind(policy), now)
        };
        // Sized for every action at once: growing would reallocate. And
        // for_each, not extend: the chained sources then run as two plain loops.
        evaluations.clear();
        evaluations.reserve(catalog.action_count());
        let evaluate = |action| {
            let plan = catalog.plan(action, request.risk_tier);
            (action, plan.evaluate(is_exhausted))
        };
        match scope.every_action(catalog) {
            Some(every) => every.for_each(|action| evaluations.push(evaluate(action))),
            None => scope
                .actions(catalog)
                .for_each(|action| evaluations.push(evaluate(action))),
        }
        let evaluations: &'r [_] = evaluations;
        let allowed_count = evaluations
            .iter()
            .filter(|(_, e)| e.verdict.is_allowed())
            .count() as u32;
        let denied_count = evaluations.len() as u32 - allowed_count;
        let needs_approval = evaluations
            .iter()
            .any(|(_, e)| e.verdict == Verdict::RequiresApproval);
        Decision {
            evaluations,
            blocks,
            constraints: constraint_policies(catalog, evaluations, request.risk_tier),
            decision_type: DecisionType::of(allowed_count, denied_count, needs_approval),
            allowed_count,
            denied_count,
        }
    }
}

/// Chooses the context blocks `request` gets within `scope` into `blocks`
/// (what it held is replaced), in the resolution's order.
pub fn select_blocks(catalog: &Catalog, scope: &Scope, request: &Request<'_>, blocks: &mut Blocks) {
    // Lowercasing allocates: only pay for it when a pack has keywords.
    let any_keywords = scope
        .packs(catalog)
        .any(|p| !catalog.pack(p).0.conditions.keywords.is_empty());
    let goal = if any_keywords {
        request.goal.to_lowercase()
    } else {
        String::new()
    };
    let hints: Vec<&str> = request.context_hints.iter().map(|hint| &**hint).collect();
    blocks.clear();
    blocks.extend(
        scope
            .packs(catalog)
            .filter(|&pack| pack_selected(catalog.pack(pack).0, &goal, request.risk_tier, &hints)),
    );
    // Stable: equal priorities keep load order.
    blocks.sort_by_key(|&pack| std::cmp::Reverse(catalog.pack(pack).0.priority));
}

/// The ids and times a resolution is written with.
pub struct ResolutionIds<'a> {
    pub resolution_id: Uuid,
    /// Set when the decision is `requires_approval`.
    pub approval_id: Option<Uuid>,
    /// The session's trace id, as text (see [`super::session::Session`]).
    pub trace_id: &'a str,
    pub issued_at: UnixMicros,
    pub ttl_seconds: u32,
}

/// Writes the resolution JSON of CARP.md.
pub fn write_resolution(
    out: &mut String,
    catalog: &Catalog,
    request_id: &str,
    decision: &Decision,
    ids: &ResolutionIds<'_>,
) {
    out.reserve(resolution_size_hint(catalog, decision));
    let mut uuid = [0u8; UUID_TEXT_LEN];
    out.push_str("{\"carp_version\":\"1.0\",\"resolution_id\":\"");
    out.push_str(uuid_text(&ids.resolution_id, &mut uuid));
    out.push_str("\",\"request_id\":");
    write_json_string(out, request_id);
    out.push_str(",\"timestamp\":\"");
    push_timestamp(out, ids.issued_at);
    out.push_str("\",\"decision\":{\"type\":\"");
    out.push_str(decision.decision_type.as_str());
    out.push_str("\",\"reason\":");
    match decision.decision_type.reason() {
        Some(reason) => {
            out.push('"');
            out.push_str(reason);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"approval_id\":");
    match &ids.approval_id {
        Some(approval_id) => {
            out.push('"');
            out.push_str(uuid_text(approval_id, &mut uuid));
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"expires_at\":\"");
    push_timestamp(out, ids.issued_at + i64::from(ids.ttl_seconds) * 1_000_000);
    out.push_str("\"},\"context_blocks\":[");
    push_joined(
        out,
        decision
            .blocks
            .iter()
            .map(|&pack| &*catalog.pack(pack).1.block_json),
    );
    out.push_str("],\"allowed_actions\":[");
    let allowed = decision
        .evaluations
        .iter()
        .filter(|(_, e)| e.verdict.is_allowed());
    push_joined(
        out,
        allowed.map(|(action, evaluation)| {
            let confirm = evaluation.verdict == Verdict::RequiresApproval;
            &*catalog.action_fragments(*action).allowed_json[confirm as usize]
        }),
    );
    out.push_str("],\"denied_actions\":[");
    let mut first = true;
    for (action, evaluation) in decision
        .evaluations
        .iter()
        .filter(|(_, e)| !e.verdict.is_allowed())
    {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        write_denied(out, catalog, *action, evaluation);
    }
    out.push_str("],\"constraints\":[");
    push_joined(
        out,
        decision
            .constraints
            .iter()
            .filter_map(|&policy| catalog.policy_fragments(policy).constraint_json.as_deref()),
    );
    out.push_str("],\"ttl_seconds\":");
    out.push_str(itoa::Buffer::new().format(ids.ttl_seconds));
    out.push_str(",\"trace_id\":\"");
    out.push_str(ids.trace_id);
    out.push_str("\"}");
}

/// About the length of the resolution, so it is written without regrowing.
fn resolution_size_hint(catalog: &Catalog, decision: &Decision) -> usize {
    let actions: usize = decision
        .evaluations
        .iter()
        .map(|(action, _)| catalog.action_fragments(*action).allowed_json[0].len())
        .sum();
    let blocks: usize = decision
        .blocks
        .iter()
        .map(|&pack| catalog.pack(pack).1.block_json.len())
        .sum();
    512 + actions + blocks + 128 * decision.constraints.len()
}

fn write_denied(out: &mut String, catalog: &Catalog, action: ActionIndex, evaluation: &Evaluation) {
    out.push_str("{\"action_id\":");
    out.push_str(&catalog.action_fragments(action).id_json);
    match evaluation.decider {
        Decider::Policy(policy) => {
            let fragments = catalog.policy_fragments(policy);
            out.push_str(",\"reason\":");
            out.push_str(&fragments.reason_json);
            out.push_str(",\"policy_id\":");
            out.push_str(&fragments.id_json);
        }
        Decider::DefaultDeny => {
            out.push_str(",\"reason\":\"");
            out.push_str(reasons::NO_POLICY_ALLOWS);
            out.push_str("\",\"policy_id\":\"");
            out.push_str(reasons::DEFAULT_DENY_ID);
            out.push('"');
        }
    }
    out.push('}');
}

/// Rate-limit and budget policies that apply to an allowed action, each
/// once, in the order the allowed actions first meet them.
fn constraint_policies(
    catalog: &Catalog,
    evaluations: &[(ActionIndex, Evaluation)],
    tier: RiskTier,
) -> Vec<PolicyIndex> {
    let mut policies: Vec<PolicyIndex> = Vec::new();
    let allowed = evaluations.iter().filter(|(_, e)| e.verdict.is_allowed());
    for (action, _) in allowed {
        for &policy in catalog.plan(*action, tier).limits() {
            if !policies.contains(&policy) {
                policies.push(policy);
            }
        }
    }
    policies
}

fn push_joined<'a>(out: &mut String, parts: impl Iterator<Item = &'a str>) {
    for (position, part) in parts.enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(part);
    }
}
