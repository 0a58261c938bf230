// Command consumer is a host program in a module of its own, outside the
// libcra repository, built against an installed libcra (run.sh). It
// proves that the Go binding links, loads and works from there: it
// resolves one request and verifies the session's trace, and exits with
// status 1 when anything fails.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"time"

	cra "github.com/cra/libcra-go"
)

// The atlas is embedded so the program does not depend on the folder it
// runs from.
//
//go:embed billing.atlas.json
var billingAtlas []byte

const (
	agent = "agent-7"
	goal  = "Close the month"
	// wantDecision is billing.atlas.json's answer to the goal: its
	// billing actions are allowed, account deletion is denied.
	wantDecision = cra.DecisionPartial
)

func main() {
	summary, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	fmt.Println(summary)
}

// run resolves a request in a new session, verifies the session's trace,
// and returns a one-line summary.
func run() (string, error) {
	r, err := cra.New(nil)
	if err != nil {
		return "", err
	}
	defer r.Close()
	if err := r.LoadAtlas(billingAtlas); err != nil {
		return "", fmt.Errorf("loading the atlas: %w", err)
	}
	session, err := r.BeginSession(agent, goal)
	if err != nil {
		return "", err
	}
	res, err := r.ResolveRequest(cra.Request{
		Requester: cra.Requester{AgentID: agent, SessionID: session},
		Task:      cra.Task{Goal: goal, RiskTier: cra.RiskLow},
	})
	if err != nil {
		return "", err
	}
	if res.Decision.Type != wantDecision {
		return "", fmt.Errorf("decision %q, want %q", res.Decision.Type, wantDecision)
	}
	report, err := verifiedTrace(r, session)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("consumer: libcra %s (ABI %d): decision %s, trace of %d events verified",
		cra.Version(), cra.ABIVersion(), res.Decision.Type, report.Events), nil
}

// verifiedTrace reads the session's trace (JSON Lines) and verifies its
// hash chain.
func verifiedTrace(r *cra.Resolver, session string) (cra.VerifyReport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jsonl, err := r.Trace(ctx, session, false)
	if err != nil {
		return cra.VerifyReport{}, fmt.Errorf("reading the trace: %w", err)
	}
	report, err := cra.VerifyJSONL(jsonl)
	if err != nil {
		return report, fmt.Errorf("verifying the trace: %w", err)
	}
	if report.Events == 0 {
		return report, fmt.Errorf("the trace holds no events")
	}
	return report, nil
}
