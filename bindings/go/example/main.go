// Command example shows libcra from Go: it loads an atlas, begins a
// session, resolves a request, prints the decision, and verifies the
// session's trace.
//
//	go run ./example                      # the built-in billing atlas
//	go run ./example -atlas my.atlas.json # your own atlas file
//	go run ./example -print-trace         # also print the trace
//	go run ./example -store sqlite:/tmp/trace.db # keep the trace in a file
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	cra "github.com/cra/libcra-go"
)

//go:embed billing.atlas.json
var billingAtlas []byte

func main() {
	atlasPath := flag.String("atlas", "", "Atlas/1.0 file to load (default: the built-in billing atlas)")
	goal := flag.String("goal", "Close the month", "the agent's goal")
	printTrace := flag.Bool("print-trace", false, "print the session's TRACE/1.0 JSON Lines")
	store := flag.String("store", "", `trace store URL, such as "sqlite:/tmp/trace.db" (default: memory)`)
	flag.Parse()
	if err := run(*atlasPath, *goal, *store, *printTrace); err != nil {
		log.Fatal(err)
	}
}

func run(atlasPath, goal, store string, printTrace bool) error {
	fmt.Printf("libcra %s (ABI %d)\n", cra.Version(), cra.ABIVersion())

	// Deferred mode hashes the trace on a background thread; the default,
	// immediate mode, does it inside each call. An empty store URL keeps
	// the trace in memory, as cra.New does.
	cfg := cra.DefaultConfig()
	cfg.TraceMode = cra.TraceDeferred
	r, err := cra.OpenResolver(&cfg, store)
	if err != nil {
		return err
	}
	defer r.Close()

	if atlasPath != "" {
		err = r.LoadAtlasFile(atlasPath)
	} else {
		err = r.LoadAtlas(billingAtlas)
	}
	if err != nil {
		return fmt.Errorf("loading the atlas: %w", err)
	}

	const agent = "agent-7"
	session, err := r.BeginSession(agent, goal)
	if err != nil {
		return err
	}
	res, err := r.ResolveRequest(cra.Request{
		Requester: cra.Requester{AgentID: agent, SessionID: session},
		Task:      cra.Task{Goal: goal, RiskTier: cra.RiskLow},
	})
	if err != nil {
		return err
	}
	fmt.Printf("decision: %s\n", res.Decision.Type)
	for _, a := range res.AllowedActions {
		fmt.Printf("  allowed %-24s risk %-8s confirm=%v\n", a.ActionID, a.RiskTier, a.RequiresConfirmation)
	}
	for _, d := range res.DeniedActions {
		fmt.Printf("  denied  %-24s by %s: %s\n", d.ActionID, d.PolicyID, d.Reason)
	}
	if err := r.EndSession(session, "done"); err != nil {
		return err
	}

	// Wait (at most 5s) for the trace, then verify it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	trace, err := r.Trace(ctx, session, false)
	if err != nil {
		return err
	}
	report, err := cra.VerifyJSONL(trace)
	if err != nil {
		return fmt.Errorf("trace does not verify (%+v): %w", report, err)
	}
	fmt.Printf("trace: %d events, chain valid, head %s\n", report.Events, report.HeadHash)
	if store != "" {
		// Committed to the store: the trace survives a crash from here on.
		if err := r.AwaitDurable(ctx, session); err != nil {
			return err
		}
		head, err := r.SessionHead(session)
		if err != nil {
			return err
		}
		fmt.Printf("durable in %s: session %s, %d events\n", store, session, head.Events)
	}
	if printTrace {
		os.Stdout.Write(trace)
	}
	return nil
}
