package cra_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

func TestStatusString(t *testing.T) {
	cases := map[cra.Status]string{
		cra.StatusOK:              "CRA_OK",
		cra.StatusInvalidArgument: "CRA_ERR_INVALID_ARGUMENT",
		cra.StatusBackpressure:    "CRA_ERR_BACKPRESSURE",
		cra.StatusTimeout:         "CRA_ERR_TIMEOUT",
		cra.StatusInternal:        "CRA_ERR_INTERNAL",
		cra.Status(99):            "CRA_UNKNOWN",
	}
	for status, want := range cases {
		if got := status.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int32(status), got, want)
		}
	}
}

// requireCode fails unless err is a *cra.Error with code and a message,
// matching the sentinel by errors.Is and no other sentinel.
func requireCode(t *testing.T, err error, sentinel *cra.Error) *cra.Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want one matching %v", err, sentinel.Code)
	}
	var e *cra.Error
	if !errors.As(err, &e) || e.Code != sentinel.Code || e.Message == "" || e.Op == "" {
		t.Fatalf("error %#v: want a *cra.Error with code %v, an op and a message", err, sentinel.Code)
	}
	if sentinel != cra.ErrInternal && errors.Is(err, cra.ErrInternal) {
		t.Fatalf("error %v matches ErrInternal too", err)
	}
	if !strings.Contains(err.Error(), sentinel.Code.String()) {
		t.Fatalf("error text %q does not name %v", err.Error(), sentinel.Code)
	}
	return e
}

func TestBadInput(t *testing.T) {
	r := newResolver(t, nil)
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}

	_, err = r.Resolve([]byte(`{"carp_version": "1.0",`))
	requireCode(t, err, cra.ErrInvalidJSON)
	_, err = r.Resolve(nil)
	requireCode(t, err, cra.ErrInvalidJSON)
	_, err = r.Resolve([]byte{0xff, 0xfe})
	requireCode(t, err, cra.ErrInvalidArgument)

	// A well-formed id that names no session.
	unknown := "01a22000-0000-7000-8000-000000000000"
	_, err = r.Resolve(request(t, agent, unknown, "r1", "goal", nil))
	e := requireCode(t, err, cra.ErrNotFound)
	if !strings.Contains(e.Message, "/requester/session_id") {
		t.Errorf("not-found message %q does not name the JSON pointer", e.Message)
	}
	requireCode(t, r.EndSession(unknown, "x"), cra.ErrNotFound)
	_, err = r.IsTraceReady(unknown)
	requireCode(t, err, cra.ErrNotFound)
	_, err = r.VerifyChain(unknown)
	requireCode(t, err, cra.ErrNotFound)
	requireCode(t, r.AwaitTraceReady(context.Background(), unknown), cra.ErrNotFound)
	_, err = r.Trace(context.Background(), unknown, true)
	requireCode(t, err, cra.ErrNotFound)

	// Malformed ids and NUL bytes are invalid arguments.
	_, err = r.IsTraceReady("not-a-session")
	requireCode(t, err, cra.ErrInvalidArgument)
	_, err = r.BeginSession("agent\x00-7", "goal")
	requireCode(t, err, cra.ErrInvalidArgument)
	_, err = r.BeginSession("", "goal")
	requireCode(t, err, cra.ErrInvalidArgument)

	// Another agent does not own the session.
	_, err = r.Resolve(request(t, "agent-8", id, "r2", "goal", nil))
	requireCode(t, err, cra.ErrPermission)

	// A request that breaks CARP.md names the rule.
	_, err = r.Resolve(request(t, agent, id, "r3", "goal", map[string]any{"carp_version": "2.0"}))
	requireCode(t, err, cra.ErrInvalidRequest)
	old := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	_, err = r.Resolve(request(t, agent, id, "r4", "goal", map[string]any{"timestamp": old}))
	requireCode(t, err, cra.ErrInvalidRequest)
	_, err = r.Resolve(request(t, agent, id, "r5", "goal", map[string]any{"atlas_ids": []string{"com.example.nothing"}}))
	requireCode(t, err, cra.ErrNotFound)

	// Request ids are single-use within a session.
	if _, err := r.Resolve(request(t, agent, id, "r6", "goal", nil)); err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(request(t, agent, id, "r6", "goal", nil))
	requireCode(t, err, cra.ErrConflict)

	// Ended sessions refuse work.
	if err := r.EndSession(id, "done"); err != nil {
		t.Fatal(err)
	}
	requireCode(t, r.EndSession(id, "again"), cra.ErrSessionEnded)
	_, err = r.Resolve(request(t, agent, id, "r7", "goal", nil))
	requireCode(t, err, cra.ErrSessionEnded)

	// Nothing failed was recorded: started + 1 resolve (7 events) + ended.
	report, err := r.VerifyChain(id)
	if err != nil || report.Events != 9 {
		t.Fatalf("VerifyChain = %+v, %v; want 9 valid events", report, err)
	}
}

func TestAtlasErrors(t *testing.T) {
	r := newResolver(t, nil)
	requireCode(t, r.LoadAtlasFile(atlasFile), cra.ErrConflict)
	manifest, err := os.ReadFile(atlasFile)
	if err != nil {
		t.Fatal(err)
	}
	// Context files are for atlases loaded from a file.
	e := requireCode(t, r.LoadAtlas(manifest), cra.ErrInvalidAtlas)
	if !strings.Contains(e.Message, "/context_packs/1/files") {
		t.Errorf("invalid-atlas message %q does not name the JSON pointer", e.Message)
	}
	requireCode(t, r.LoadAtlas(nil), cra.ErrInvalidJSON)
	requireCode(t, r.LoadAtlas([]byte(`{"atlas_version": "1.0"`)), cra.ErrInvalidJSON)
	bad := `{"atlas_version": "1.0", "atlas_id": "com.example.other", "version": "1.0.0",
		"name": "Other", "description": "A bad pattern",
		"policies": [{"policy_id": "p", "type": "deny", "actions": ["*foo"]}]}`
	e = requireCode(t, r.LoadAtlas([]byte(bad)), cra.ErrInvalidAtlas)
	if !strings.Contains(e.Message, "/policies/0/actions/0") {
		t.Errorf("invalid-atlas message %q does not name the JSON pointer", e.Message)
	}
	good := strings.Replace(bad, `"*foo"`, `"*.foo"`, 1)
	if err := r.LoadAtlas([]byte(good)); err != nil {
		t.Fatalf("LoadAtlas: %v", err)
	}
	requireCode(t, r.LoadAtlasFile("testdata/missing.json"), cra.ErrIO)
	requireCode(t, r.UnloadAtlas("com.example.nothing"), cra.ErrNotFound)
}

func TestInvalidConfig(t *testing.T) {
	for name, change := range map[string]func(*cra.Config){
		"buffer too small": func(c *cra.Config) { c.BufferCapacity = 1 },
		"unknown mode":     func(c *cra.Config) { c.TraceMode = 7 },
		"ttl zero":         func(c *cra.Config) { c.TTL = 0 },
		"ttl fraction":     func(c *cra.Config) { c.TTL = 1500 * time.Millisecond },
		"negative skew":    func(c *cra.Config) { c.ClockSkew = -time.Second },
	} {
		cfg := cra.DefaultConfig()
		change(&cfg)
		r, err := cra.New(&cfg)
		if r != nil {
			r.Close()
		}
		if !errors.Is(err, cra.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	want := cra.Config{
		TraceMode:       cra.TraceImmediate,
		BufferCapacity:  4096,
		Backpressure:    cra.BackpressureError,
		BlockTimeout:    100 * time.Millisecond,
		TTL:             time.Hour,
		ClockSkew:       5 * time.Minute,
		ShutdownTimeout: 5 * time.Second,
	}
	if got := cra.DefaultConfig(); got != want {
		t.Fatalf("DefaultConfig() = %+v, want %+v", got, want)
	}
}

func TestVerifyJSONLBroken(t *testing.T) {
	r := newResolver(t, nil)
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(request(t, agent, id, "r1", "Refund order 42", nil)); err != nil {
		t.Fatal(err)
	}
	jsonl, err := r.Trace(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	good, err := cra.VerifyJSONL(jsonl)
	if err != nil || !good.Valid() {
		t.Fatalf("VerifyJSONL = %+v, %v", good, err)
	}
	// Change one payload value: event 1 (carp.request.received) no longer hashes.
	tampered := []byte(strings.Replace(string(jsonl), "Refund order 42", "Refund order 43", 1))
	report, err := cra.VerifyJSONL(tampered)
	requireCode(t, err, cra.ErrChainInvalid)
	if report.Valid() || report.Failure != cra.ChainHashMismatch || report.FirstBadIndex != 1 ||
		report.Failure.String() != "hash_mismatch" {
		t.Fatalf("report %+v", report)
	}
	// Drop an event: a sequence gap.
	lines := strings.SplitAfter(string(jsonl), "\n")
	report, err = cra.VerifyJSONL([]byte(lines[0] + strings.Join(lines[2:], "")))
	requireCode(t, err, cra.ErrChainInvalid)
	if report.Failure != cra.ChainSequenceGap || report.FirstBadIndex != 1 {
		t.Fatalf("report %+v", report)
	}
	// Not UTF-8 is an argument error, without a report.
	_, err = cra.VerifyJSONL([]byte{'{', 0xff, '}'})
	requireCode(t, err, cra.ErrInvalidArgument)
	// Nothing to verify is valid.
	if report, err := cra.VerifyJSONL(nil); err != nil || !report.Valid() || report.Events != 0 {
		t.Fatalf("VerifyJSONL(nil) = %+v, %v", report, err)
	}
}
