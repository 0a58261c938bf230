package cra

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// ResolveTyped resolves a CARP/1.0 request given as JSON, as Resolve
// does, and decodes the resolution.
//
// Errors: as Resolve; a resolution that does not decode (a libcra bug)
// is reported as ErrInternal.
func (r *Resolver) ResolveTyped(request []byte) (*Resolution, error) {
	out, err := r.Resolve(request)
	if err != nil {
		return nil, err
	}
	var res Resolution
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, newError(StatusInternal, "cra_resolve", fmt.Sprintf("cannot decode the resolution: %v", err))
	}
	return &res, nil
}

// ResolveRequest encodes req as CARP/1.0 JSON and resolves it. Empty
// members get their usual values: CARPVersion "1.0", Operation
// "resolve", a random RequestID and the current time as Timestamp.
// req itself is not changed.
//
// Errors: as Resolve.
func (r *Resolver) ResolveRequest(req Request) (*Resolution, error) {
	if req.CARPVersion == "" {
		req.CARPVersion = "1.0"
	}
	if req.Operation == "" {
		req.Operation = "resolve"
	}
	if req.RequestID == "" {
		req.RequestID = newRequestID()
	}
	if req.Timestamp.IsZero() {
		req.Timestamp = time.Now().UTC()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, newError(StatusInvalidArgument, "cra_resolve", fmt.Sprintf("cannot encode the request: %v", err))
	}
	return r.ResolveTyped(body)
}

// newRequestID returns "req-" and 32 random hex digits.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; fall back to
		// the clock so a request id is still unique in practice.
		return fmt.Sprintf("req-%d", time.Now().UnixNano())
	}
	return "req-" + hex.EncodeToString(b[:])
}
