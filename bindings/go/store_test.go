package cra_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// openStore opens the store at url with the test atlas loaded; it is
// closed when the test ends (Close is idempotent, so tests may close it
// earlier).
func openStore(t *testing.T, cfg *cra.Config, url string) *cra.Resolver {
	t.Helper()
	r, err := cra.OpenResolver(cfg, url)
	if err != nil {
		t.Fatalf("OpenResolver(%q): %v", url, err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.LoadAtlasFile(atlasFile); err != nil {
		t.Fatalf("LoadAtlasFile: %v", err)
	}
	return r
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A SQLite store keeps the traces across resolvers: a reopened store
// gives the same text, heads and valid chains, and a session left open
// resumes.
func TestSQLiteStoreReopenAndResume(t *testing.T) {
	for _, mode := range []cra.TraceMode{cra.TraceImmediate, cra.TraceDeferred} {
		t.Run(mode.String(), func(t *testing.T) {
			testReopenAndResume(t, mode)
		})
	}
}

func testReopenAndResume(t *testing.T, mode cra.TraceMode) {
	ctx := waitCtx(t)
	url := "sqlite:" + filepath.Join(t.TempDir(), "trace.db")
	cfg := cra.DefaultConfig()
	cfg.TraceMode = mode

	r1 := openStore(t, &cfg, url)
	ended, err := r1.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Resolve(request(t, agent, ended, "r1", "Close the month", nil)); err != nil {
		t.Fatal(err)
	}
	if err := r1.EndSession(ended, "done"); err != nil {
		t.Fatal(err)
	}
	open, err := r1.BeginSession(agent, "Refund the duplicate charge")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Resolve(request(t, agent, open, "r1", "Refund the duplicate charge", nil)); err != nil {
		t.Fatal(err)
	}
	if err := r1.AwaitDurable(ctx, ended); err != nil {
		t.Fatalf("AwaitDurable(ended): %v", err)
	}
	if err := r1.AwaitDurable(ctx, ""); err != nil {
		t.Fatalf("AwaitDurable(all): %v", err)
	}

	traces := map[string][]byte{}
	heads := map[string]cra.Head{}
	var total uint64
	for _, id := range []string{ended, open} {
		if traces[id], err = r1.Trace(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		if heads[id], err = r1.SessionHead(id); err != nil {
			t.Fatal(err)
		}
		events := parseTrace(t, traces[id])
		if heads[id].Events != uint64(len(events)) || heads[id].Hash != events[len(events)-1].EventHash {
			t.Fatalf("SessionHead = %+v; the trace has %d events, the last hashed %s",
				heads[id], len(events), events[len(events)-1].EventHash)
		}
		total += heads[id].Events
	}
	stats, err := r1.StoreStats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.EventsDurable != total || stats.EventsWaiting != 0 || stats.Commits == 0 || stats.WriteErrors != 0 {
		t.Fatalf("StoreStats after AwaitDurable = %+v, want %d durable, none waiting", stats, total)
	}

	// One resolver per file.
	if second, err := cra.OpenResolver(nil, url); !errors.Is(err, cra.ErrIO) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second OpenResolver of an open store: %v, want ErrIO", err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}

	r2 := openStore(t, &cfg, url)
	for _, id := range []string{ended, open} {
		got, err := r2.Trace(ctx, id, false)
		if err != nil {
			t.Fatalf("Trace after reopening: %v", err)
		}
		if !bytes.Equal(got, traces[id]) {
			t.Fatalf("reopened trace differs:\n%s\nwant\n%s", got, traces[id])
		}
		head, err := r2.SessionHead(id)
		if err != nil || head != heads[id] {
			t.Fatalf("reopened SessionHead = %+v, %v; want %+v", head, err, heads[id])
		}
		report, err := r2.VerifyChain(id)
		if err != nil || !report.Valid() || report.Events != head.Events || report.HeadHash != head.Hash {
			t.Fatalf("reopened VerifyChain = %+v, %v", report, err)
		}
		if report, err := cra.VerifyJSONLHead(got, head); err != nil || !report.Valid() {
			t.Fatalf("VerifyJSONLHead = %+v, %v", report, err)
		}
	}

	// Only the session left open resumes, once.
	requireCode(t, r2.Resume(ended, "restart"), cra.ErrSessionEnded)
	requireCode(t, r2.Resume("01a22000-0000-7000-8000-000000000000", "restart"), cra.ErrNotFound)
	// Until resumed, the stored session is not active here.
	_, err = r2.Resolve(request(t, agent, open, "r2", "Refund the duplicate charge", nil))
	requireCode(t, err, cra.ErrNotFound)
	if err := r2.Resume(open, "process restarted"); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	requireCode(t, r2.Resume(open, "again"), cra.ErrConflict)
	if _, err := r2.Resolve(request(t, agent, open, "r2", "Refund the duplicate charge", nil)); err != nil {
		t.Fatalf("Resolve after Resume: %v", err)
	}
	if err := r2.EndSession(open, "done"); err != nil {
		t.Fatal(err)
	}
	if err := r2.AwaitDurable(ctx, open); err != nil {
		t.Fatal(err)
	}
	trace, err := r2.Trace(ctx, open, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(trace, traces[open]) {
		t.Fatalf("the resumed trace does not continue the stored one:\n%s", trace)
	}
	events := parseTrace(t, trace)
	types := eventTypes(events)
	before := int(heads[open].Events)
	if len(events) <= before+1 || types[before] != "session.resumed" || types[len(types)-1] != "session.ended" {
		t.Fatalf("events after resuming: %v", types[before:])
	}
	if events[before].Payload["reason"] != "process restarted" {
		t.Errorf("session.resumed payload %v lacks the reason", events[before].Payload)
	}
	if report, err := r2.VerifyChain(open); err != nil || !report.Valid() || report.Events != uint64(len(events)) {
		t.Fatalf("VerifyChain after resuming = %+v, %v", report, err)
	}
	// The earlier head still holds: the chain only grew.
	if report, err := cra.VerifyJSONLHead(trace, heads[open]); err != nil || !report.Valid() {
		t.Fatalf("VerifyJSONLHead(grown chain, old head) = %+v, %v", report, err)
	}
	pythonVerify(t, trace)
}

// The memory store is New's: AwaitDurable is a ready wait, nothing resumes.
func TestMemoryStore(t *testing.T) {
	for _, url := range []string{"", "memory:"} {
		r := openStore(t, nil, url)
		id, err := r.BeginSession(agent, "Close the month")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AwaitDurable(waitCtx(t), id); err != nil {
			t.Fatalf("%q: AwaitDurable: %v", url, err)
		}
		stats, err := r.StoreStats()
		if err != nil || stats.EventsDurable != 1 || stats.EventsWaiting != 0 || stats.SessionsInMemory != 1 {
			t.Fatalf("%q: StoreStats = %+v, %v", url, stats, err)
		}
		head, err := r.SessionHead(id)
		if err != nil || head.Events != 1 || len(head.Hash) != 64 {
			t.Fatalf("%q: SessionHead = %+v, %v", url, head, err)
		}
		requireCode(t, r.Resume(id, "x"), cra.ErrConflict)
		requireCode(t, r.Resume("01a22000-0000-7000-8000-000000000000", "x"), cra.ErrNotFound)
		requireCode(t, r.AwaitDurable(waitCtx(t), "01a22000-0000-7000-8000-000000000000"), cra.ErrNotFound)
		_, err = r.SessionHead("01a22000-0000-7000-8000-000000000000")
		requireCode(t, err, cra.ErrNotFound)
		_, err = r.SessionHead("not-an-id")
		requireCode(t, err, cra.ErrInvalidArgument)
		requireCode(t, r.AwaitDurable(waitCtx(t), "not-an-id"), cra.ErrInvalidArgument)
	}
}

func TestOpenResolverBadURL(t *testing.T) {
	dir := t.TempDir()
	invalid := []string{
		"nosuch:x",
		"sqlite:" + filepath.Join(dir, "a.db") + "?bogus=1",
		"sqlite:" + filepath.Join(dir, "b.db") + "?sync=sometimes",
		"sqlite:" + filepath.Join(dir, "c.db") + "?max_waiting_mb=lots",
		"sqlite:" + filepath.Join(dir, "d.db\x00"),
	}
	for _, url := range invalid {
		r, err := cra.OpenResolver(nil, url)
		if r != nil {
			r.Close()
		}
		requireCode(t, err, cra.ErrInvalidArgument)
	}
	failing := []string{
		"postgres://localhost/cra",
		"sqlite:" + filepath.Join(dir, "no", "such", "folder", "t.db"),
	}
	for _, url := range failing {
		r, err := cra.OpenResolver(nil, url)
		if r != nil {
			r.Close()
		}
		requireCode(t, err, cra.ErrIO)
	}
	// A good URL with parameters, and a bad config, still as New.
	r, err := cra.OpenResolver(nil, "sqlite:"+filepath.Join(dir, "e.db")+"?sync=full&max_waiting_mb=8")
	if err != nil {
		t.Fatalf("OpenResolver with parameters: %v", err)
	}
	r.Close()
	cfg := cra.DefaultConfig()
	cfg.BufferCapacity = 1
	cfg.TraceMode = cra.TraceDeferred
	_, err = cra.OpenResolver(&cfg, "")
	requireCode(t, err, cra.ErrInvalidArgument)
}

// AwaitDurable honours its context: with the processor held nothing is
// committed, so the wait ends with the context's error.
func TestAwaitDurableContext(t *testing.T) {
	r := openStore(t, deferredConfig(), "sqlite:"+filepath.Join(t.TempDir(), "trace.db"))
	id := heldSession(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := r.AwaitDurable(ctx, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitDurable while held = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("AwaitDurable took %v after a 120ms deadline", elapsed)
	}
	stats, err := r.StoreStats()
	if err != nil || stats.EventsDurable != 0 {
		t.Fatalf("StoreStats while held = %+v, %v; want nothing durable", stats, err)
	}
	if err := cra.HoldProcessor(r, false); err != nil {
		t.Fatal(err)
	}
	if err := r.AwaitDurable(waitCtx(t), ""); err != nil {
		t.Fatalf("AwaitDurable after release: %v", err)
	}
	if stats, err := r.StoreStats(); err != nil || stats.EventsDurable != 1 {
		t.Fatalf("StoreStats after release = %+v, %v", stats, err)
	}
}

// VerifyJSONLHead tells a trace whose end was cut off, and one whose head
// differs, from an intact one.
func TestVerifyJSONLHead(t *testing.T) {
	r := newResolver(t, nil)
	ctx := waitCtx(t)
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(request(t, agent, id, "r1", "Close the month", nil)); err != nil {
		t.Fatal(err)
	}
	trace, err := r.Trace(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.SessionHead(id)
	if err != nil {
		t.Fatal(err)
	}
	if report, err := cra.VerifyJSONLHead(trace, head); err != nil || !report.Valid() ||
		report.Events != head.Events || report.HeadHash != head.Hash {
		t.Fatalf("intact trace: %+v, %v; head %+v", report, err, head)
	}

	// The last line cut off: still a valid chain, but truncated.
	lines := bytes.SplitAfter(bytes.TrimRight(trace, "\n"), []byte("\n"))
	cut := bytes.Join(lines[:len(lines)-1], nil)
	if report, err := cra.VerifyJSONL(cut); err != nil || !report.Valid() {
		t.Fatalf("VerifyJSONL(cut) = %+v, %v: a cut chain is valid by itself", report, err)
	}
	report, err := cra.VerifyJSONLHead(cut, head)
	requireCode(t, err, cra.ErrChainInvalid)
	if report.Failure != cra.ChainTruncated || report.Valid() || report.FirstBadIndex != int64(head.Events-1) ||
		report.Failure.String() != "truncated" {
		t.Fatalf("VerifyJSONLHead(cut) = %+v, want truncated at %d", report, head.Events-1)
	}

	// Another hash at the head's event.
	other := head
	other.Hash = strings.Repeat("ab", 32)
	report, err = cra.VerifyJSONLHead(trace, other)
	requireCode(t, err, cra.ErrChainInvalid)
	if report.Failure != cra.ChainHeadMismatch || report.Failure.String() != "head_mismatch" {
		t.Fatalf("VerifyJSONLHead(other hash) = %+v, want head_mismatch", report)
	}

	// Bad heads and text of two sessions are invalid arguments.
	for _, hash := range []string{"", "xyz", strings.Repeat("AB", 32), strings.Repeat("ab", 33), strings.Repeat("a", 63) + "\x00"} {
		_, err := cra.VerifyJSONLHead(trace, cra.Head{Events: head.Events, Hash: hash})
		requireCode(t, err, cra.ErrInvalidArgument)
	}
	id2, err := r.BeginSession(agent, "Another")
	if err != nil {
		t.Fatal(err)
	}
	trace2, err := r.Trace(ctx, id2, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cra.VerifyJSONLHead(append(append([]byte{}, trace...), trace2...), head)
	requireCode(t, err, cra.ErrInvalidArgument)
	_, err = cra.VerifyJSONLHead([]byte{0xff}, head)
	requireCode(t, err, cra.ErrInvalidArgument)
}
