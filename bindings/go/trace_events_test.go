package cra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// TraceEvents decodes every line of Trace's JSON Lines: each event, encoded
// again, has the same twelve members with the same values as its line, and
// the decoded members form the session's chain.
func TestTraceEvents(t *testing.T) {
	ctx := context.Background()
	r := newResolver(t, nil)
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(request(t, agent, id, "req-1", "Close the month", nil)); err != nil {
		t.Fatal(err)
	}
	if err := r.EndSession(id, "done"); err != nil {
		t.Fatal(err)
	}
	jsonl, err := r.Trace(ctx, id, false)
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	events, err := r.TraceEvents(ctx, id, false)
	if err != nil {
		t.Fatalf("TraceEvents: %v", err)
	}

	lines := nonEmptyLines(jsonl)
	if len(events) != len(lines) || len(events) < 3 {
		t.Fatalf("%d events from %d lines", len(events), len(lines))
	}
	for i, e := range events {
		if got, want := membersOf(t, e), membersOfLine(t, lines[i]); !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d decoded as\n%v\nits line holds\n%v", i, got, want)
		}
	}
	checkChain(t, id, events)

	report, err := cra.VerifyJSONL(jsonl)
	if err != nil || report.HeadHash != events[len(events)-1].EventHash {
		t.Fatalf("VerifyJSONL = %+v, %v; last event hash %s", report, err, events[len(events)-1].EventHash)
	}
	var started struct {
		AgentID string `json:"agent_id"`
	}
	if err := json.Unmarshal(events[0].Payload, &started); err != nil || started.AgentID != agent {
		t.Fatalf("session.started payload %s: agent %q, %v", events[0].Payload, started.AgentID, err)
	}
}

// checkChain checks the members that link the events of one session.
func checkChain(t *testing.T, session string, events []cra.TraceEvent) {
	t.Helper()
	previous := strings.Repeat("0", 64)
	for i, e := range events {
		if e.TraceVersion != "1.0" || e.SessionID != session || e.Sequence != uint64(i) || e.TraceID != events[0].TraceID {
			t.Fatalf("event %d: version %q, session %s, sequence %d, trace %s", i, e.TraceVersion, e.SessionID, e.Sequence, e.TraceID)
		}
		if e.PreviousEventHash != previous || len(e.EventHash) != 64 {
			t.Fatalf("event %d: previous_event_hash %s, want %s; event_hash %q", i, e.PreviousEventHash, previous, e.EventHash)
		}
		previous = e.EventHash
		if (e.ParentSpanID == nil) != (i == 0) {
			t.Fatalf("event %d: parent_span_id %v; only the first event's is null", i, e.ParentSpanID)
		}
		ts, err := time.Parse(time.RFC3339Nano, e.Timestamp)
		if err != nil || ts.Location() != time.UTC {
			t.Fatalf("event %d: timestamp %q: %v", i, e.Timestamp, err)
		}
	}
	if events[0].EventType != "session.started" || events[len(events)-1].EventType != "session.ended" {
		t.Fatalf("first/last event types %s/%s", events[0].EventType, events[len(events)-1].EventType)
	}
}

// With the processor held nothing is stored: a partial read returns no
// events (an empty slice, not an error), and a full read waits until its
// context ends.
func TestTraceEventsPartialAndContext(t *testing.T) {
	r := newResolver(t, deferredConfig())
	id := heldSession(t, r)
	events, err := r.TraceEvents(context.Background(), id, true)
	if err != nil || events == nil || len(events) != 0 {
		t.Fatalf("partial TraceEvents = %v, %v; want an empty slice", events, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.TraceEvents(ctx, id, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("TraceEvents while held = %v, want context.DeadlineExceeded", err)
	}
	if _, err := r.TraceEvents(context.Background(), "not-a-session", true); !errors.Is(err, cra.ErrInvalidArgument) {
		t.Fatalf("TraceEvents(malformed id) = %v, want ErrInvalidArgument", err)
	}
}

// nonEmptyLines splits JSON Lines, dropping lines of white space only.
func nonEmptyLines(jsonl []byte) [][]byte {
	var lines [][]byte
	for _, line := range bytes.Split(jsonl, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// membersOf encodes e again and decodes it generically.
func membersOf(t *testing.T, e cra.TraceEvent) map[string]any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return membersOfLine(t, b)
}

// membersOfLine decodes one JSON object generically, keeping numbers as
// written so that large integers compare exactly.
func membersOfLine(t *testing.T, line []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return m
}
