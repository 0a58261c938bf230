package cra_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// retry repeats op while it fails with ErrBackpressure: the operation
// recorded nothing, so trying again is safe.
func retry(op func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := op()
		if !errors.Is(err, cra.ErrBackpressure) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// 64 goroutines, one session each, several resolves each, in deferred
// mode; every trace then verifies with libcra and with the independent
// Python verifier.
func TestDeferredConcurrentSessions(t *testing.T) {
	const (
		sessions = 64
		resolves = 6
	)
	cfg := deferredConfig()
	cfg.Backpressure = cra.BackpressureBlock
	cfg.BlockTimeout = time.Second
	r := newResolver(t, cfg)

	ids := make([]string, sessions)
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for g := 0; g < sessions; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			agentID := fmt.Sprintf("agent-%d", g)
			var id string
			err := retry(func() (err error) {
				id, err = r.BeginSession(agentID, "Refund order 42")
				return err
			})
			if err != nil {
				errs <- fmt.Errorf("session %d: BeginSession: %w", g, err)
				return
			}
			ids[g] = id
			for i := 0; i < resolves; i++ {
				req := request(t, agentID, id, fmt.Sprintf("req-%d", i), "Refund order 42", nil)
				var res *cra.Resolution
				err := retry(func() (err error) {
					res, err = r.ResolveTyped(req)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("session %d: resolve %d: %w", g, i, err)
					return
				}
				if res.Decision.Type != cra.DecisionRequiresApproval {
					errs <- fmt.Errorf("session %d: decision %s", g, res.Decision.Type)
					return
				}
			}
			if err := retry(func() error { return r.EndSession(id, "done") }); err != nil {
				errs <- fmt.Errorf("session %d: EndSession: %w", g, err)
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.FlushTraces(ctx); err != nil {
		t.Fatalf("FlushTraces: %v", err)
	}

	// started + resolves × (received, 4 evaluated, 2 injected, completed) + ended
	const perSession = 1 + resolves*8 + 1
	var all bytes.Buffer
	for g, id := range ids {
		jsonl, err := r.Trace(ctx, id, false)
		if err != nil {
			t.Fatalf("session %d: Trace: %v", g, err)
		}
		report, err := cra.VerifyJSONL(jsonl)
		if err != nil || report.Events != perSession {
			t.Fatalf("session %d: VerifyJSONL = %+v, %v; want %d valid events", g, report, err, perSession)
		}
		chain, err := r.VerifyChain(id)
		if err != nil || chain.Pending != 0 || chain.HeadHash != report.HeadHash || chain.Events != perSession {
			t.Fatalf("session %d: VerifyChain = %+v, %v; JSONL report %+v", g, chain, err, report)
		}
		events := parseTrace(t, jsonl)
		if events[0].EventType != "session.started" || events[len(events)-1].EventType != "session.ended" {
			t.Fatalf("session %d: first/last events %s/%s", g, events[0].EventType, events[len(events)-1].EventType)
		}
		all.Write(jsonl)
	}

	report, err := cra.VerifyJSONL(all.Bytes())
	if err != nil || report.Events != sessions*perSession {
		t.Fatalf("VerifyJSONL(all sessions) = %+v, %v", report, err)
	}
	pythonVerify(t, all.Bytes())

	stats, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.EventsEmitted != sessions*perSession || stats.EventsProcessed != stats.EventsEmitted ||
		stats.QueueDepth != 0 || stats.SessionsActive != 0 || stats.QueueCapacity != uint64(cfg.BufferCapacity) {
		t.Fatalf("Stats = %+v", stats)
	}
}
