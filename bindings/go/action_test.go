package cra_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// enforcementAtlas is the atlas of libcra's tests/enforcement.rs: a
// refund with a parameters_schema and a require_approval policy, an
// export under a rate limit of rateLimit calls a minute, an invoice under
// a budget of 2, a denied delete and a plain read.
func enforcementAtlas(t testing.TB, rateLimit int) []byte {
	t.Helper()
	atlas := map[string]any{
		"atlas_version": "1.0", "atlas_id": "com.example.ops", "version": "1.0.0",
		"name": "Ops", "description": "Actions with limits, a schema and an approval",
		"actions": []any{
			map[string]any{"action_id": "billing.refund", "name": "Refund", "description": "Refund a payment",
				"parameters_schema": map[string]any{
					"type": "object", "required": []string{"amount_cents"},
					"properties":           map[string]any{"amount_cents": map[string]any{"type": "integer", "minimum": 1}},
					"additionalProperties": false,
				}},
			map[string]any{"action_id": "report.export", "name": "Export", "description": "Export a report"},
			map[string]any{"action_id": "invoice.create", "name": "Invoice", "description": "Create an invoice"},
			map[string]any{"action_id": "account.delete", "name": "Delete", "description": "Delete an account"},
			map[string]any{"action_id": "ticket.read", "name": "Read", "description": "Read a ticket"},
		},
		"policies": []any{
			map[string]any{"policy_id": "allow-all", "type": "allow", "actions": []string{"*"}},
			map[string]any{"policy_id": "no-delete", "type": "deny", "actions": []string{"account.delete"},
				"parameters": map[string]any{"reason": "Accounts are closed by people"}},
			map[string]any{"policy_id": "refund-approval", "type": "require_approval", "actions": []string{"billing.refund"}},
			map[string]any{"policy_id": "export-rate", "type": "rate_limit", "actions": []string{"report.export"},
				"parameters": map[string]any{"max_calls": rateLimit, "window_seconds": 60}},
			map[string]any{"policy_id": "invoice-budget", "type": "budget", "actions": []string{"invoice.create"},
				"parameters": map[string]any{"max_calls": 2}},
		},
	}
	b, err := json.Marshal(atlas)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// opsResolver returns a resolver with the enforcement atlas loaded, a
// session of agent and a resolution of it; closed when the test ends.
func opsResolver(t *testing.T, cfg *cra.Config, rateLimit int) (*cra.Resolver, string, *cra.Resolution) {
	t.Helper()
	r, err := cra.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.LoadAtlas(enforcementAtlas(t, rateLimit)); err != nil {
		t.Fatalf("LoadAtlas: %v", err)
	}
	session, err := r.BeginSession(agent, "Run the ops")
	if err != nil {
		t.Fatalf("BeginSession: %v", err)
	}
	return r, session, resolveOps(t, r, session)
}

func resolveOps(t *testing.T, r *cra.Resolver, session string) *cra.Resolution {
	t.Helper()
	res, err := r.ResolveRequest(cra.Request{
		Requester: cra.Requester{AgentID: agent, SessionID: session},
		Task:      cra.Task{Goal: "Run the ops", RiskTier: cra.RiskLow},
	})
	if err != nil {
		t.Fatalf("ResolveRequest: %v", err)
	}
	return res
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func checkOK(t *testing.T, r *cra.Resolver, req cra.CheckRequest) cra.CheckResult {
	t.Helper()
	res, err := r.CheckAction(req)
	if err != nil {
		t.Fatalf("CheckAction(%s): %v", req.ActionID, err)
	}
	if res.ActionID != req.ActionID || !strings.HasPrefix(res.RequestID, "req-") || len(res.ParametersHash) != 64 {
		t.Fatalf("CheckAction(%s) = %+v", req.ActionID, res)
	}
	if res.Approved() != (res.Decision == cra.CheckApproved) || res.Approved() != (res.ExecutionID != "") {
		t.Fatalf("CheckAction(%s): decision and execution id disagree: %+v", req.ActionID, res)
	}
	return res
}

// The whole loop of CARP.md "Checking an action before running it", in
// both trace modes: resolve, a check denied by the schema, one waiting
// for approval, the approval, an approved check, outcomes reported once,
// and a trace that verifies in libcra and in the Python verifiers.
func TestCheckApproveReportLoop(t *testing.T) {
	for _, mode := range []cra.TraceMode{cra.TraceImmediate, cra.TraceDeferred} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := cra.DefaultConfig()
			cfg.TraceMode = mode
			r, session, res := opsResolver(t, &cfg, 3)
			if res.ResolutionID == "" || res.Decision.Type != cra.DecisionRequiresApproval || res.Decision.ApprovalID == "" {
				t.Fatalf("resolution: id %q, decision %+v", res.ResolutionID, res.Decision)
			}
			check := func(action string, params any) cra.CheckResult {
				return checkOK(t, r, cra.CheckRequest{SessionID: session, AgentID: agent,
					ResolutionID: res.ResolutionID, ActionID: action, Parameters: params})
			}

			bad := check("billing.refund", map[string]any{"amount_cents": 0})
			if bad.Approved() || bad.PolicyID != "" ||
				!strings.HasPrefix(bad.Reason, "Parameters do not match the schema: /amount_cents: ") {
				t.Fatalf("bad parameters: %+v", bad)
			}
			if want := sha256Hex(`{"amount_cents":0}`); bad.ParametersHash != want {
				t.Errorf("parameters hash %s, want %s", bad.ParametersHash, want)
			}
			type refund struct {
				AmountCents int `json:"amount_cents"`
			}
			waiting := check("billing.refund", refund{AmountCents: 5})
			if waiting.Approved() || waiting.Reason != "Approval required" || waiting.PolicyID != "refund-approval" {
				t.Fatalf("before approval: %+v", waiting)
			}

			if err := r.AnswerApproval(session, res.Decision.ApprovalID, true, "", ""); !errors.Is(err, cra.ErrInvalidArgument) {
				t.Fatalf("empty approver: %v, want ErrInvalidArgument", err)
			}
			if err := r.AnswerApproval(session, res.Decision.ApprovalID, true, "ann", "checked the invoice"); err != nil {
				t.Fatalf("AnswerApproval: %v", err)
			}
			if err := r.AnswerApproval(session, res.Decision.ApprovalID, false, "bob", ""); !errors.Is(err, cra.ErrConflict) {
				t.Fatalf("second answer: %v, want ErrConflict", err)
			}
			refunded := check("billing.refund", refund{AmountCents: 5})
			if !refunded.Approved() || refunded.Reason != "" || refunded.PolicyID != "" {
				t.Fatalf("after approval: %+v", refunded)
			}
			if want := sha256Hex(`{"amount_cents":5}`); refunded.ParametersHash != want {
				t.Errorf("parameters hash %s, want %s", refunded.ParametersHash, want)
			}
			// nil Parameters is the empty object.
			read := check("ticket.read", nil)
			if !read.Approved() || read.ParametersHash != sha256Hex("{}") {
				t.Fatalf("ticket.read with nil parameters: %+v", read)
			}
			export := check("report.export", map[string]string{"format": "csv"})
			if !export.Approved() {
				t.Fatalf("export: %+v", export)
			}

			report := func(req cra.ReportRequest) error {
				req.SessionID, req.AgentID = session, agent
				return r.ReportAction(req)
			}
			if err := report(cra.ReportRequest{ExecutionID: refunded.ExecutionID, Duration: 12 * time.Millisecond,
				Result: map[string]int{"rows": 3}}); err != nil {
				t.Fatalf("ReportAction executed: %v", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: refunded.ExecutionID}); !errors.Is(err, cra.ErrConflict) {
				t.Fatalf("reporting twice: %v, want ErrConflict", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: export.ExecutionID, Failed: true}); !errors.Is(err, cra.ErrInvalidRequest) {
				t.Fatalf("failure without code: %v, want ErrInvalidRequest", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: export.ExecutionID, Failed: true, Duration: 3 * time.Millisecond,
				ErrorCode: "E42", ErrorMessage: "disk full"}); err != nil {
				t.Fatalf("ReportAction failed: %v", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: export.ExecutionID, Failed: true,
				ErrorCode: "E42", ErrorMessage: "disk full"}); !errors.Is(err, cra.ErrConflict) {
				t.Fatalf("reporting a failure twice: %v, want ErrConflict", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: "01936f2a-7c00-7000-8000-000000000099"}); !errors.Is(err, cra.ErrNotFound) {
				t.Fatalf("unknown execution: %v, want ErrNotFound", err)
			}
			if err := report(cra.ReportRequest{ExecutionID: read.ExecutionID, Duration: -time.Second}); !errors.Is(err, cra.ErrInvalidArgument) {
				t.Fatalf("negative duration: %v, want ErrInvalidArgument", err)
			}

			// A rejected approval denies the resolution's refunds.
			rejected := resolveOps(t, r, session)
			if err := r.AnswerApproval(session, rejected.Decision.ApprovalID, false, "bob", ""); err != nil {
				t.Fatalf("AnswerApproval rejected: %v", err)
			}
			denied := checkOK(t, r, cra.CheckRequest{SessionID: session, AgentID: agent,
				ResolutionID: rejected.ResolutionID, ActionID: "billing.refund", Parameters: refund{AmountCents: 5}})
			if denied.Approved() || denied.Reason != "Approval rejected" || denied.PolicyID != "refund-approval" {
				t.Fatalf("after rejection: %+v", denied)
			}

			if err := r.EndSession(session, "done"); err != nil {
				t.Fatalf("EndSession: %v", err)
			}
			jsonl, err := r.Trace(context.Background(), session, false)
			if err != nil {
				t.Fatalf("Trace: %v", err)
			}
			if v, err := cra.VerifyJSONL(jsonl); err != nil || !v.Valid() {
				t.Fatalf("VerifyJSONL: %+v, %v", v, err)
			}
			if v, err := r.VerifyChain(session); err != nil || !v.Valid() {
				t.Fatalf("VerifyChain: %+v, %v", v, err)
			}
			pythonVerify(t, jsonl)

			count := map[string]int{}
			var executed, failed event
			for _, e := range parseTrace(t, jsonl) {
				count[e.EventType]++
				switch e.EventType {
				case "action.executed":
					executed = e
				case "action.failed":
					failed = e
				}
			}
			want := map[string]int{"action.requested": 6, "action.approved": 3, "action.denied": 3,
				"approval.granted": 1, "approval.rejected": 1, "action.executed": 1, "action.failed": 1}
			for k, n := range want {
				if count[k] != n {
					t.Errorf("%d %s events, want %d (all: %v)", count[k], k, n, count)
				}
			}
			if executed.Payload["duration_ms"] != float64(12) || len(executed.Payload["result_hash"].(string)) != 64 {
				t.Errorf("action.executed payload: %v", executed.Payload)
			}
			if failed.Payload["error_code"] != "E42" {
				t.Errorf("action.failed payload: %v", failed.Payload)
			}
		})
	}
}

// A rate limit of N calls approves exactly N checks, also when they race
// from many goroutines; the others are denied by the limit's policy and
// charge nothing. A budget works the same way per session.
func TestCheckRateLimitApprovesExactlyN(t *testing.T) {
	const limit, workers, each = 5, 4, 5
	r, session, res := opsResolver(t, deferredConfig(), limit)
	var mu sync.Mutex
	approved, denied := 0, 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				got, err := r.CheckAction(cra.CheckRequest{SessionID: session, AgentID: agent,
					ResolutionID: res.ResolutionID, ActionID: "report.export"})
				if err != nil {
					t.Errorf("CheckAction: %v", err)
					return
				}
				mu.Lock()
				if got.Approved() {
					approved++
				} else if got.Reason == "Rate limit exceeded" && got.PolicyID == "export-rate" {
					denied++
				} else {
					t.Errorf("unexpected denial: %+v", got)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if approved != limit || denied != workers*each-limit {
		t.Fatalf("%d approved, %d denied; want %d and %d", approved, denied, limit, workers*each-limit)
	}

	for i := 0; i < 3; i++ {
		got := checkOK(t, r, cra.CheckRequest{SessionID: session, AgentID: agent,
			ResolutionID: res.ResolutionID, ActionID: "invoice.create"})
		if got.Approved() != (i < 2) {
			t.Fatalf("invoice %d: %+v", i, got)
		}
		if i == 2 && (got.Reason != "Budget exhausted" || got.PolicyID != "invoice-budget") {
			t.Fatalf("over budget: %+v", got)
		}
	}
}

// Requests that break the rules are errors, not denials.
func TestCheckActionErrors(t *testing.T) {
	r, session, res := opsResolver(t, nil, 3)
	base := cra.CheckRequest{SessionID: session, AgentID: agent, ResolutionID: res.ResolutionID, ActionID: "ticket.read"}
	cases := []struct {
		name string
		edit func(*cra.CheckRequest)
		want error
	}{
		{"array parameters", func(c *cra.CheckRequest) { c.Parameters = []int{1} }, cra.ErrInvalidArgument},
		{"unencodable parameters", func(c *cra.CheckRequest) { c.Parameters = map[string]any{"f": func() {}} }, cra.ErrInvalidArgument},
		{"other agent", func(c *cra.CheckRequest) { c.AgentID = "agent-8" }, cra.ErrPermission},
		{"unknown session", func(c *cra.CheckRequest) { c.SessionID = "01936f2a-7c00-7000-8000-000000000001" }, cra.ErrNotFound},
	}
	for _, tc := range cases {
		req := base
		tc.edit(&req)
		if _, err := r.CheckAction(req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// An unknown resolution is a denial, not an error.
	req := base
	req.ResolutionID = "01936f2a-7c00-7000-8000-000000000099"
	if got := checkOK(t, r, req); got.Approved() || got.Reason != "Unknown resolution" {
		t.Errorf("unknown resolution: %+v", got)
	}
	if err := r.AnswerApproval(session, "01936f2a-7c00-7000-8000-000000000099", true, "ann", ""); !errors.Is(err, cra.ErrNotFound) {
		t.Errorf("unknown approval: %v, want ErrNotFound", err)
	}
	if err := r.EndSession(session, "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CheckAction(base); !errors.Is(err, cra.ErrSessionEnded) {
		t.Errorf("ended session: %v, want ErrSessionEnded", err)
	}
	r.Close()
	if _, err := r.CheckAction(base); !errors.Is(err, cra.ErrShutdown) {
		t.Errorf("closed: %v, want ErrShutdown", err)
	}
	if err := r.ReportAction(cra.ReportRequest{SessionID: session, AgentID: agent, ExecutionID: "x"}); !errors.Is(err, cra.ErrShutdown) {
		t.Errorf("closed report: %v, want ErrShutdown", err)
	}
}
