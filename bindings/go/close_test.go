package cra_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

func TestUseAfterClose(t *testing.T) {
	r, err := cra.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadAtlasFile(atlasFile); err != nil {
		t.Fatal(err)
	}
	id, err := r.BeginSession(agent, "Close the month")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	calls := map[string]func() error{
		"LoadAtlasFile": func() error { return r.LoadAtlasFile(atlasFile) },
		"LoadAtlas":     func() error { return r.LoadAtlas([]byte("{}")) },
		"UnloadAtlas":   func() error { return r.UnloadAtlas("com.example.billing") },
		"BeginSession":  func() error { _, err := r.BeginSession(agent, "goal"); return err },
		"EndSession":    func() error { return r.EndSession(id, "done") },
		"Resolve":       func() error { _, err := r.Resolve(request(t, agent, id, "r1", "goal", nil)); return err },
		"ResolveRequest": func() error {
			_, err := r.ResolveRequest(cra.Request{Requester: cra.Requester{AgentID: agent, SessionID: id},
				Task: cra.Task{Goal: "goal"}})
			return err
		},
		"IsTraceReady":    func() error { _, err := r.IsTraceReady(id); return err },
		"AwaitTraceReady": func() error { return r.AwaitTraceReady(ctx, id) },
		"FlushTraces":     func() error { return r.FlushTraces(ctx) },
		"Trace":           func() error { _, err := r.Trace(ctx, id, false); return err },
		"TracePartial":    func() error { _, err := r.Trace(ctx, id, true); return err },
		"VerifyChain":     func() error { _, err := r.VerifyChain(id); return err },
		"Stats":           func() error { _, err := r.Stats(); return err },
		"Hold":            func() error { return cra.HoldProcessor(r, true) },
		"AwaitDurable":    func() error { return r.AwaitDurable(ctx, id) },
		"AwaitDurableAll": func() error { return r.AwaitDurable(ctx, "") },
		"Resume":          func() error { return r.Resume(id, "restart") },
		"StoreStats":      func() error { _, err := r.StoreStats(); return err },
		"SessionHead":     func() error { _, err := r.SessionHead(id); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, cra.ErrShutdown) {
			t.Errorf("%s after Close = %v, want ErrShutdown", name, err)
		}
	}
}

// Close while other goroutines are resolving and waiting: each call
// either completes or fails with ErrShutdown, Close does not wait for
// long waits, and nothing races (go test -race).
func TestCloseWhileBusy(t *testing.T) {
	cfg := deferredConfig()
	r, err := cra.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadAtlasFile(atlasFile); err != nil {
		t.Fatal(err)
	}
	// Held: waits cannot finish until Close lets the processor go.
	id := heldSession(t, r)

	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	started := make(chan struct{}, 2*workers)
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func(w int) { // resolves until shut down
			defer wg.Done()
			started <- struct{}{}
			for i := 0; ; i++ {
				_, err := r.Resolve(request(t, agent, id, fmt.Sprintf("w%d-%d", w, i), "Close the month", nil))
				switch {
				case err == nil, errors.Is(err, cra.ErrBackpressure):
				case errors.Is(err, cra.ErrShutdown):
					return
				default:
					errs <- fmt.Errorf("Resolve: %w", err)
					return
				}
			}
		}(w)
		go func() { // waits with no deadline: only Close ends it
			defer wg.Done()
			started <- struct{}{}
			err := r.AwaitTraceReady(context.Background(), id)
			if err != nil && !errors.Is(err, cra.ErrShutdown) {
				errs <- fmt.Errorf("AwaitTraceReady: %w", err)
			}
		}()
	}
	for i := 0; i < 2*workers; i++ {
		<-started
	}
	time.Sleep(50 * time.Millisecond)

	var closers sync.WaitGroup
	for i := 0; i < 2; i++ { // two Closes at once: both return nil
		closers.Add(1)
		go func() {
			defer closers.Done()
			if err := r.Close(); err != nil {
				errs <- fmt.Errorf("Close: %w", err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); closers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("goroutines still running 10s after Close")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A resolver that is never closed is freed by its finalizer (a safety
// net, not a substitute for Close); this exercises that path.
func TestFinalizer(t *testing.T) {
	for i := 0; i < 4; i++ {
		r, err := cra.New(deferredConfig())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.BeginSession(agent, "forgotten"); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
