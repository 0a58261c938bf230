package cra

import (
	"encoding/json"
	"time"
)

// Stats holds a resolver's counters; it mirrors struct cra_stats.
type Stats struct {
	EventsEmitted   uint64 // events accepted into the trace (both modes)
	EventsProcessed uint64 // events hashed, chained and stored
	EventsRejected  uint64 // events refused by backpressure
	QueueDepth      uint64 // events waiting in the deferred buffer now
	QueueCapacity   uint64 // events the deferred buffer holds (0 in immediate mode)
	QueueHighWater  uint64 // the most events the deferred buffer has held at once
	SessionsActive  uint64 // sessions begun and not ended
}

// RiskTier is the risk tier of a task or an action (CARP.md).
type RiskTier string

// The risk tiers of CARP.md.
const (
	RiskLow      RiskTier = "low"
	RiskMedium   RiskTier = "medium"
	RiskHigh     RiskTier = "high"
	RiskCritical RiskTier = "critical"
)

// DecisionType is the overall outcome of a resolution (decision.type).
type DecisionType string

// The decision types of CARP.md.
const (
	// DecisionAllow: something is allowed and nothing was denied.
	DecisionAllow DecisionType = "allow"
	// DecisionDeny: nothing is allowed.
	DecisionDeny DecisionType = "deny"
	// DecisionPartial: some actions are allowed, some denied.
	DecisionPartial DecisionType = "partial"
	// DecisionRequiresApproval: an allowed action needs human approval.
	DecisionRequiresApproval DecisionType = "requires_approval"
)

// Request is a CARP/1.0 request (CARP.md "Request"). ResolveRequest fills
// CARPVersion, Operation, RequestID and Timestamp when they are empty.
type Request struct {
	CARPVersion string    `json:"carp_version"`
	RequestID   string    `json:"request_id"`
	Timestamp   time.Time `json:"timestamp"`
	Operation   string    `json:"operation"`
	Requester   Requester `json:"requester"`
	Task        Task      `json:"task"`
	// AtlasIDs, when not empty, limits the request to these loaded
	// atlases. An empty AtlasIDs is left out of the JSON, so every loaded
	// atlas is considered (libcra reads an explicit [] as "no atlas").
	AtlasIDs []string `json:"atlas_ids,omitempty"`
	// Context is free-form host context, passed through as JSON.
	Context map[string]any `json:"context,omitempty"`
}

// Requester names who asks: the agent and the session it owns.
type Requester struct {
	AgentID         string  `json:"agent_id"`
	SessionID       string  `json:"session_id"`
	ParentSessionID *string `json:"parent_session_id"`
}

// Task is what the agent wants to do.
type Task struct {
	Goal                 string   `json:"goal"`
	RiskTier             RiskTier `json:"risk_tier,omitempty"`
	ContextHints         []string `json:"context_hints,omitempty"`
	RequiredCapabilities []string `json:"required_capabilities,omitempty"`
}

// Resolution is libcra's answer to a request (CARP.md "Resolution").
type Resolution struct {
	CARPVersion    string          `json:"carp_version"`
	ResolutionID   string          `json:"resolution_id"`
	RequestID      string          `json:"request_id"`
	Timestamp      time.Time       `json:"timestamp"`
	Decision       Decision        `json:"decision"`
	ContextBlocks  []ContextBlock  `json:"context_blocks"`
	AllowedActions []AllowedAction `json:"allowed_actions"`
	DeniedActions  []DeniedAction  `json:"denied_actions"`
	Constraints    []Constraint    `json:"constraints"`
	TTLSeconds     int64           `json:"ttl_seconds"`
	// TraceID is the session's trace id, carried by every event of it.
	TraceID string `json:"trace_id"`
}

// Decision is the overall outcome of a resolution.
type Decision struct {
	Type DecisionType `json:"type"`
	// Reason is "" (JSON null) for DecisionAllow, a sentence otherwise.
	Reason string `json:"reason"`
	// ApprovalID is set for DecisionRequiresApproval, "" (null) otherwise.
	ApprovalID string `json:"approval_id"`
	// ExpiresAt is the resolution's timestamp plus its TTL (zero if null).
	ExpiresAt time.Time `json:"expires_at"`
}

// ContextBlock is context handed to the agent, from a context pack.
type ContextBlock struct {
	BlockID       string `json:"block_id"`
	Source        string `json:"source"`
	ContentType   string `json:"content_type"`
	Content       string `json:"content"`
	Priority      int64  `json:"priority"`
	TokenEstimate int64  `json:"token_estimate"`
}

// AllowedAction is an action the agent may run.
type AllowedAction struct {
	ActionID             string          `json:"action_id"`
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	ParametersSchema     json.RawMessage `json:"parameters_schema"`
	ReturnsSchema        json.RawMessage `json:"returns_schema"`
	RiskTier             RiskTier        `json:"risk_tier"`
	RequiresConfirmation bool            `json:"requires_confirmation"`
	Idempotent           bool            `json:"idempotent"`
}

// DeniedAction is an action the agent may not run, with the policy that
// denied it ("default-deny" when no policy allowed it).
type DeniedAction struct {
	ActionID string `json:"action_id"`
	Reason   string `json:"reason"`
	PolicyID string `json:"policy_id"`
}

// Constraint is a rate limit or budget that applies to an allowed action.
type Constraint struct {
	ConstraintID string          `json:"constraint_id"`
	Type         string          `json:"type"`
	Parameters   json.RawMessage `json:"parameters"`
}
