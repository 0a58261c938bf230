package cra_test

import (
	"context"
	"errors"
	"fmt"

	cra "github.com/cra/libcra-go"
)

func Example() {
	r, err := cra.New(nil) // immediate mode
	if err != nil {
		panic(err)
	}
	defer r.Close()
	if err := r.LoadAtlasFile("testdata/billing.atlas.json"); err != nil {
		panic(err)
	}
	session, err := r.BeginSession("agent-7", "Close the month")
	if err != nil {
		panic(err)
	}
	res, err := r.ResolveRequest(cra.Request{
		Requester: cra.Requester{AgentID: "agent-7", SessionID: session},
		Task:      cra.Task{Goal: "Close the month", RiskTier: cra.RiskLow},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("decision:", res.Decision.Type)
	for _, d := range res.DeniedActions {
		fmt.Println("denied:", d.ActionID, "by", d.PolicyID)
	}

	trace, err := r.Trace(context.Background(), session, false)
	if err != nil {
		panic(err)
	}
	report, err := cra.VerifyJSONL(trace)
	fmt.Println("events:", report.Events, "valid:", report.Valid(), "err:", err)

	// Errors carry the C status; test them with errors.Is.
	_, err = r.Resolve([]byte("not json"))
	fmt.Println(errors.Is(err, cra.ErrInvalidJSON))
	// Output:
	// decision: requires_approval
	// denied: billing.account.delete by no-account-deletion
	// events: 8 valid: true err: <nil>
	// true
}

// One immediate resolver, and a session of it traced deferred: a swarm's
// sessions need not hash on the agents' threads, while a session a person
// watches stays immediate.
func ExampleResolver_BeginSessionWith() {
	r, err := cra.New(nil) // immediate mode
	if err != nil {
		panic(err)
	}
	defer r.Close()
	if cra.ABIMinor() < 1 {
		panic("libcra is older than ABI 1.1: no per-session trace mode")
	}
	opts := cra.DefaultSessionOptions() // the resolver's mode...
	opts.TraceMode = cra.TraceDeferred  // ...or this session's own
	session, err := r.BeginSessionWith("agent-7", "Close the month", opts)
	if err != nil {
		panic(err)
	}
	// Sync points work for both modes; Trace waits for a deferred session.
	trace, err := r.Trace(context.Background(), session, false)
	if err != nil {
		panic(err)
	}
	report, err := cra.VerifyJSONL(trace)
	fmt.Println("events:", report.Events, "valid:", report.Valid(), "err:", err)
	// Output:
	// events: 1 valid: true err: <nil>
}
