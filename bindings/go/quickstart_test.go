package cra_test

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// The loaded library is the one this checkout builds: its version is
// Cargo.toml's (the version's one source), and MAJOR is the ABI version.
func TestVersion(t *testing.T) {
	if got := cra.ABIVersion(); got != 1 {
		t.Fatalf("ABIVersion() = %d, want 1", got)
	}
	v := cra.Version()
	parts := regexp.MustCompile(`^(\d+)\.\d+\.\d+$`).FindStringSubmatch(v)
	if parts == nil {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
	if parts[1] != strconv.FormatUint(uint64(cra.ABIVersion()), 10) {
		t.Errorf("Version() = %q: MAJOR is not the ABI version %d", v, cra.ABIVersion())
	}
	if want := cargoVersion(t); v != want {
		t.Errorf("Version() = %q, Cargo.toml says %q: is target/release stale?", v, want)
	}
}

// cargoVersion reads the version of the [package] table of the
// repository's Cargo.toml.
func cargoVersion(t *testing.T) string {
	t.Helper()
	manifest, err := os.ReadFile("../../Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?ms)^\[package\]$(.*?)(^\[|\z)`).FindSubmatch(manifest)
	if table == nil {
		t.Fatal("Cargo.toml has no [package] table")
	}
	version := regexp.MustCompile(`(?m)^version\s*=\s*"([^"]+)"`).FindSubmatch(table[1])
	if version == nil {
		t.Fatal("Cargo.toml's [package] has no version")
	}
	return string(version[1])
}

// The README's quickstart: load an atlas, begin a session, resolve a
// request, check the decision and the recorded events, end the session,
// verify the trace three ways.
func TestQuickstart(t *testing.T) {
	ctx := context.Background()
	r := newResolver(t, nil)

	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatalf("BeginSession: %v", err)
	}
	if len(id) != 36 || strings.ToLower(id) != id {
		t.Fatalf("session id %q is not a lowercase hyphenated UUID", id)
	}

	res, err := r.ResolveTyped(request(t, agent, id, "req-1", "Close the month", nil))
	if err != nil {
		t.Fatalf("ResolveTyped: %v", err)
	}
	if res.CARPVersion != "1.0" || res.RequestID != "req-1" || res.ResolutionID == "" || res.TraceID == "" {
		t.Fatalf("resolution header: %+v", res)
	}
	// The refund needs approval, so the whole decision does.
	if res.Decision.Type != cra.DecisionRequiresApproval || res.Decision.ApprovalID == "" {
		t.Fatalf("decision = %+v, want requires_approval with an approval id", res.Decision)
	}
	if res.TTLSeconds != 3600 || !res.Decision.ExpiresAt.Equal(res.Timestamp.Add(time.Hour)) {
		t.Fatalf("ttl %d, timestamp %v, expires_at %v", res.TTLSeconds, res.Timestamp, res.Decision.ExpiresAt)
	}
	var allowed []string
	for _, a := range res.AllowedActions {
		allowed = append(allowed, a.ActionID)
		if wantConfirm := a.ActionID == "billing.payment.refund"; a.RequiresConfirmation != wantConfirm {
			t.Errorf("%s requires_confirmation = %v", a.ActionID, a.RequiresConfirmation)
		}
	}
	if want := []string{"billing.invoice.read", "billing.invoice.create", "billing.payment.refund"}; !reflect.DeepEqual(allowed, want) {
		t.Fatalf("allowed actions %v, want %v", allowed, want)
	}
	if len(res.DeniedActions) != 1 || res.DeniedActions[0].ActionID != "billing.account.delete" ||
		res.DeniedActions[0].PolicyID != "no-account-deletion" ||
		res.DeniedActions[0].Reason != "Accounts are closed by the support team." {
		t.Fatalf("denied actions %+v", res.DeniedActions)
	}
	if len(res.Constraints) != 1 || res.Constraints[0].Type != "rate_limit" {
		t.Fatalf("constraints %+v, want one rate_limit", res.Constraints)
	}
	if len(res.ContextBlocks) != 1 || res.ContextBlocks[0].BlockID != "billing-basics" ||
		res.ContextBlocks[0].Source != "com.example.billing" {
		t.Fatalf("context blocks %+v", res.ContextBlocks)
	}

	// Scoped to a capability, everything considered is allowed.
	res, err = r.ResolveRequest(cra.Request{
		Requester: cra.Requester{AgentID: agent, SessionID: id},
		Task:      cra.Task{Goal: "Issue the invoices", RiskTier: cra.RiskLow, RequiredCapabilities: []string{"invoicing"}},
	})
	if err != nil {
		t.Fatalf("ResolveRequest: %v", err)
	}
	if res.Decision.Type != cra.DecisionAllow || res.Decision.Reason != "" || len(res.AllowedActions) != 2 || len(res.DeniedActions) != 0 {
		t.Fatalf("capability-scoped resolution: %+v", res)
	}

	// A refund goal brings in the context pack read from a file.
	res, err = r.ResolveTyped(request(t, agent, id, "req-3", "Refund order 42", nil))
	if err != nil {
		t.Fatalf("ResolveTyped: %v", err)
	}
	if len(res.ContextBlocks) != 2 || res.ContextBlocks[0].BlockID != "refund-guide" ||
		!strings.Contains(res.ContextBlocks[0].Content, "Refund at most the amount paid") {
		t.Fatalf("context blocks %+v, want refund-guide (from its file) first", res.ContextBlocks)
	}

	if ready, err := r.IsTraceReady(id); err != nil || !ready {
		t.Fatalf("IsTraceReady = %v, %v; immediate mode is always ready", ready, err)
	}
	if err := r.EndSession(id, "done"); err != nil {
		t.Fatalf("EndSession: %v", err)
	}

	jsonl, err := r.Trace(ctx, id, false)
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	events := parseTrace(t, jsonl)
	resolve1 := []string{"carp.request.received", "policy.evaluated", "policy.evaluated", "policy.evaluated",
		"policy.evaluated", "context.injected", "carp.resolution.completed"}
	want := append([]string{"session.started"}, resolve1...)
	want = append(want, "carp.request.received", "policy.evaluated", "policy.evaluated", "context.injected",
		"carp.resolution.completed")
	want = append(want, "carp.request.received", "policy.evaluated", "policy.evaluated", "policy.evaluated",
		"policy.evaluated", "context.injected", "context.injected", "carp.resolution.completed", "session.ended")
	if got := eventTypes(events); !reflect.DeepEqual(got, want) {
		t.Fatalf("event types\n got %v\nwant %v", got, want)
	}
	for i, e := range events {
		if e.Sequence != int64(i) || e.SessionID != id {
			t.Fatalf("event %d: sequence %d, session %s", i, e.Sequence, e.SessionID)
		}
	}
	if got := events[0].Payload["agent_id"]; got != agent {
		t.Fatalf("session.started agent_id = %v", got)
	}
	if got := events[7].Payload["decision_type"]; got != "requires_approval" {
		t.Fatalf("carp.resolution.completed decision_type = %v", got)
	}

	report, err := r.VerifyChain(id)
	if err != nil || !report.Valid() || report.Events != uint64(len(events)) || report.Pending != 0 ||
		report.FirstBadIndex != -1 || report.HeadHash != events[len(events)-1].EventHash {
		t.Fatalf("VerifyChain = %+v, %v", report, err)
	}
	jreport, err := cra.VerifyJSONL(jsonl)
	if err != nil || jreport != report {
		t.Fatalf("VerifyJSONL = %+v, %v; want %+v", jreport, err, report)
	}
	pythonVerify(t, jsonl)

	stats, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.EventsEmitted != uint64(len(events)) || stats.EventsProcessed != stats.EventsEmitted ||
		stats.SessionsActive != 0 || stats.QueueCapacity != 0 {
		t.Fatalf("Stats = %+v", stats)
	}
}

func TestUnloadAtlas(t *testing.T) {
	r := newResolver(t, nil)
	if err := r.UnloadAtlas("com.example.billing"); err != nil {
		t.Fatalf("UnloadAtlas: %v", err)
	}
	id, err := r.BeginSession(agent, "anything")
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ResolveTyped(request(t, agent, id, "r1", "anything", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision.Type != cra.DecisionDeny || len(res.AllowedActions) != 0 {
		t.Fatalf("with no atlas: %+v", res.Decision)
	}
}

// An empty Request.AtlasIDs is left out of the JSON, so every loaded atlas
// is considered (libcra reads an explicit "atlas_ids": [] as no atlas).
func TestResolveRequestAtlasIDs(t *testing.T) {
	r := newResolver(t, nil)
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]string{nil, {}, {"com.example.billing"}} {
		res, err := r.ResolveRequest(cra.Request{
			Requester: cra.Requester{AgentID: agent, SessionID: id},
			Task:      cra.Task{Goal: "Close the month"},
			AtlasIDs:  ids,
		})
		if err != nil {
			t.Fatalf("AtlasIDs %v: %v", ids, err)
		}
		if len(res.AllowedActions) != 3 || len(res.DeniedActions) != 1 || !strings.HasPrefix(res.RequestID, "req-") {
			t.Fatalf("AtlasIDs %v: %+v", ids, res)
		}
	}
}
