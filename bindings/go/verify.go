package cra

// #include <cra.h>
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// ChainFailure names the first problem a chain verification found
// (cra_verify_report.failure); the names are TRACE.md's.
type ChainFailure uint32

// The verification outcomes of TRACE.md ("Verifying a chain").
const (
	ChainValid           ChainFailure = C.CRA_CHAIN_VALID            // no failure
	ChainMalformed       ChainFailure = C.CRA_CHAIN_MALFORMED        // an event lacks a member or has a wrong type
	ChainSequenceGap     ChainFailure = C.CRA_CHAIN_SEQUENCE_GAP     // a sequence number is not the previous plus 1 (or the first is not 0)
	ChainBroken          ChainFailure = C.CRA_CHAIN_BROKEN           // previous_event_hash is not the previous event's hash
	ChainHashMismatch    ChainFailure = C.CRA_CHAIN_HASH_MISMATCH    // the recomputed hash differs from event_hash
	ChainSessionMismatch ChainFailure = C.CRA_CHAIN_SESSION_MISMATCH // an event belongs to another session than the one before it
	// ChainTruncated: the text has fewer events than the head it is held
	// against counts, so the chain's end was cut off (VerifyJSONLHead;
	// VerifyChain on a durable store whose tail is missing).
	ChainTruncated ChainFailure = C.CRA_CHAIN_TRUNCATED
	// ChainHeadMismatch: the event the head names has another hash than
	// the head.
	ChainHeadMismatch ChainFailure = C.CRA_CHAIN_HEAD_MISMATCH
)

// String returns TRACE.md's name of the failure ("valid",
// "hash_mismatch", ...), or "ChainFailure(n)".
func (f ChainFailure) String() string {
	switch f {
	case ChainValid:
		return "valid"
	case ChainMalformed:
		return "malformed"
	case ChainSequenceGap:
		return "sequence_gap"
	case ChainBroken:
		return "chain_broken"
	case ChainHashMismatch:
		return "hash_mismatch"
	case ChainSessionMismatch:
		return "session_mismatch"
	case ChainTruncated:
		return "truncated"
	case ChainHeadMismatch:
		return "head_mismatch"
	}
	return fmt.Sprintf("ChainFailure(%d)", uint32(f))
}

// cName returns libcra's own name of the failure (cra_chain_failure_name),
// such as "CRA_CHAIN_BROKEN", or "CRA_CHAIN_UNKNOWN"; the tests hold the
// constants above against it.
func (f ChainFailure) cName() string {
	return C.GoString(C.cra_chain_failure_name(C.uint32_t(f)))
}

// VerifyReport is the outcome of VerifyChain, VerifyJSONL or
// VerifyJSONLHead; it mirrors struct cra_verify_report.
type VerifyReport struct {
	// Events is how many events were checked.
	Events uint64
	// Pending counts events emitted but not yet stored (deferred mode,
	// VerifyChain only); they are not checked.
	Pending uint64
	// FirstBadIndex is the 0-based index of the first bad event (for
	// VerifyJSONL, among the non-empty lines); -1 when valid.
	FirstBadIndex int64
	// Failure says what was wrong with that event; ChainValid when valid.
	Failure ChainFailure
	// HeadHash is the event_hash of the last valid event, "" if none.
	// Keep it elsewhere to detect later truncation of the trace.
	HeadHash string
}

// Valid reports whether the verified chain (or every chain) is valid.
func (v VerifyReport) Valid() bool {
	return v.Failure == ChainValid
}

func reportFromC(c *C.cra_verify_report) VerifyReport {
	return VerifyReport{
		Events:        uint64(c.events),
		Pending:       uint64(c.pending),
		FirstBadIndex: int64(c.first_bad_index),
		Failure:       ChainFailure(c.failure),
		HeadHash:      hashString(&c.head_hash),
	}
}

// hashString reads a NUL-terminated hash field (head_hash of
// cra_verify_report and cra_head), stopping at the end of the array should
// the NUL be missing.
func hashString(field *[65]C.char) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&field[0])), len(field))
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	return string(b[:n])
}

// VerifyChain verifies the stored events of session id. It returns the
// report in every case where verification ran; when the chain is broken
// the error matches ErrChainInvalid and its message says where and why.
//
// Errors: ErrChainInvalid (with the report); ErrNotFound;
// ErrInvalidArgument (malformed id); ErrShutdown.
func (r *Resolver) VerifyChain(id string) (VerifyReport, error) {
	const op = "cra_verify_chain"
	cid, err := cString(op, "session_id", id)
	if err != nil {
		return VerifyReport{FirstBadIndex: -1}, err
	}
	defer freeCString(cid)
	report := VerifyReport{FirstBadIndex: -1}
	err = r.use(op, func(h *C.cra_resolver) error {
		var out C.cra_verify_report
		var cerr *C.cra_error
		status := C.cra_verify_chain(h, cid, &out, &cerr)
		if status == C.CRA_OK || status == C.CRA_ERR_CHAIN_INVALID {
			report = reportFromC(&out)
		}
		return takeError(op, status, cerr)
	})
	return report, err
}

// VerifyJSONL verifies TRACE/1.0 JSON Lines holding the events of one or
// more sessions, each session's chain on its own; it needs no resolver.
// It returns the report in every case where verification ran; when a
// chain is broken the error matches ErrChainInvalid.
//
// Errors: ErrChainInvalid (with the report); ErrInvalidArgument (not
// UTF-8 — the message gives the byte offset —, over 1 GiB).
func VerifyJSONL(jsonl []byte) (VerifyReport, error) {
	const op = "cra_verify_jsonl"
	report := VerifyReport{FirstBadIndex: -1}
	p, n := bytesArg(jsonl)
	var out C.cra_verify_report
	var cerr *C.cra_error
	status := C.cra_verify_jsonl(p, n, &out, &cerr)
	runtime.KeepAlive(jsonl)
	if status == C.CRA_OK || status == C.CRA_ERR_CHAIN_INVALID {
		report = reportFromC(&out)
	}
	return report, takeError(op, status, cerr)
}
