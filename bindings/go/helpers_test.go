package cra_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

const (
	agent     = "agent-7"
	atlasFile = "testdata/billing.atlas.json"
	// ownVerifier is the repository's tools/cra-verify, and sharedVerifier
	// the shared specification's trace_verify.py when it sits beside the
	// repository, seen from bindings/go (the tests' working directory).
	ownVerifier    = "../../tools/cra-verify"
	sharedVerifier = "../../../shared/tools/trace_verify.py"
)

// newResolver returns a resolver with cfg (nil: defaults) and the test
// atlas loaded; it is closed when the test ends.
func newResolver(t *testing.T, cfg *cra.Config) *cra.Resolver {
	t.Helper()
	r, err := cra.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := r.LoadAtlasFile(atlasFile); err != nil {
		t.Fatalf("LoadAtlasFile: %v", err)
	}
	return r
}

// heldSession holds r's deferred processor, so nothing of r is stored
// until the test lets it go or r closes, and begins a session on r.
func heldSession(t *testing.T, r *cra.Resolver) string {
	t.Helper()
	if err := cra.HoldProcessor(r, true); err != nil {
		t.Fatalf("HoldProcessor: %v", err)
	}
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatalf("BeginSession: %v", err)
	}
	return id
}

// deferredConfig is a deferred-mode configuration.
func deferredConfig() *cra.Config {
	cfg := cra.DefaultConfig()
	cfg.TraceMode = cra.TraceDeferred
	return &cfg
}

// request returns a CARP/1.0 request (JSON) with a current timestamp,
// considering every loaded atlas; extra members replace or add top-level
// members.
func request(t testing.TB, agentID, session, requestID, goal string, extra map[string]any) []byte {
	t.Helper()
	req := map[string]any{
		"carp_version": "1.0",
		"request_id":   requestID,
		"timestamp":    time.Now().UTC().Format(time.RFC3339Nano),
		"operation":    "resolve",
		"requester":    map[string]any{"agent_id": agentID, "session_id": session, "parent_session_id": nil},
		"task": map[string]any{"goal": goal, "risk_tier": "low", "context_hints": []string{},
			"required_capabilities": []string{}},
		// No "atlas_ids": libcra reads an empty list as "no atlas at all".
		"context": map[string]any{},
	}
	for k, v := range extra {
		req[k] = v
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// event is the part of a TRACE/1.0 event the tests look at.
type event struct {
	EventType string         `json:"event_type"`
	SessionID string         `json:"session_id"`
	Sequence  int64          `json:"sequence"`
	Payload   map[string]any `json:"payload"`
	EventHash string         `json:"event_hash"`
}

// parseTrace splits JSON Lines into events.
func parseTrace(t *testing.T, jsonl []byte) []event {
	t.Helper()
	var events []event
	for _, line := range bytes.Split(jsonl, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("trace line %q: %v", line, err)
		}
		events = append(events, e)
	}
	return events
}

func eventTypes(events []event) []string {
	types := make([]string, len(events))
	for i, e := range events {
		types[i] = e.EventType
	}
	return types
}

// pythonVerify runs the verifiers written apart from libcra on jsonl (every
// session of it) and fails the test unless they accept it: tools/cra-verify,
// and trace_verify.py when the shared specification is beside the repository.
func pythonVerify(t *testing.T, jsonl []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	if err := os.WriteFile(path, jsonl, 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{{ownVerifier, path}}
	if _, err := os.Stat(sharedVerifier); err == nil {
		commands = append(commands, []string{sharedVerifier, "--multi", path})
	}
	for _, args := range commands {
		out, err := exec.Command("python3", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s rejected the trace: %v\n%s", args[0], err, out)
		}
	}
}
