package cra

// #include <cra.h>
import "C"

import (
	"fmt"
)

// Status is a libcra status code (cra_status). The values are fixed by
// ABI version 1.
type Status int32

// The status codes of ABI.md.
const (
	StatusOK              Status = C.CRA_OK                   // success
	StatusInvalidArgument Status = C.CRA_ERR_INVALID_ARGUMENT // NULL, bad UTF-8, malformed id, out-of-range config value
	StatusInvalidJSON     Status = C.CRA_ERR_INVALID_JSON     // input is not valid JSON (or holds NaN/Infinity)
	StatusInvalidAtlas    Status = C.CRA_ERR_INVALID_ATLAS    // atlas breaks CARP.md; resolver unchanged
	StatusInvalidRequest  Status = C.CRA_ERR_INVALID_REQUEST  // request breaks CARP.md; nothing recorded
	StatusNotFound        Status = C.CRA_ERR_NOT_FOUND        // unknown session, atlas, capability or resolution
	StatusConflict        Status = C.CRA_ERR_CONFLICT         // atlas or action id already loaded; request id reused
	StatusSessionEnded    Status = C.CRA_ERR_SESSION_ENDED    // the session has ended
	StatusPermission      Status = C.CRA_ERR_PERMISSION       // the request's agent does not own the session
	StatusBackpressure    Status = C.CRA_ERR_BACKPRESSURE     // the trace buffer is full: nothing recorded, retry later
	StatusTimeout         Status = C.CRA_ERR_TIMEOUT          // a wait ran out
	StatusChainInvalid    Status = C.CRA_ERR_CHAIN_INVALID    // verification found a broken chain
	StatusIO              Status = C.CRA_ERR_IO               // reading or writing a file failed
	StatusShutdown        Status = C.CRA_ERR_SHUTDOWN         // the resolver is closed or shutting down
	StatusInternal        Status = C.CRA_ERR_INTERNAL         // a bug in libcra, including a caught panic
)

// String returns the C name of the status, such as "CRA_ERR_TIMEOUT", as
// given by cra_status_name; a value that is not a status gives
// "CRA_UNKNOWN".
func (s Status) String() string {
	return C.GoString(C.cra_status_name(C.cra_status(s)))
}

// Error is the error every failing libcra call returns: the status code
// and the message of the same C call (they come from one cra_error, so
// concurrent calls never see each other's details).
//
// Compare with errors.Is against the sentinel values (ErrNotFound, ...):
// two *Error values match when their codes are equal.
type Error struct {
	// Code is the status the C function returned.
	Code Status
	// Op is the C function that failed, such as "cra_resolve".
	Op string
	// Message is libcra's description of what was wrong; for JSON input
	// it names the JSON pointer of the offending value.
	Message string
}

// Error formats the error as "op: CODE: message".
func (e *Error) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message)
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, cra.ErrBackpressure) holds for every backpressure error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Code == e.Code
}

// Sentinel errors, one per status code, for use with errors.Is. They are
// never returned themselves: returned errors are fresh *Error values with
// the same Code and the library's message.
var (
	ErrInvalidArgument = sentinel(StatusInvalidArgument, "invalid argument")
	ErrInvalidJSON     = sentinel(StatusInvalidJSON, "invalid JSON")
	ErrInvalidAtlas    = sentinel(StatusInvalidAtlas, "invalid atlas")
	ErrInvalidRequest  = sentinel(StatusInvalidRequest, "invalid request")
	ErrNotFound        = sentinel(StatusNotFound, "not found")
	ErrConflict        = sentinel(StatusConflict, "conflict")
	ErrSessionEnded    = sentinel(StatusSessionEnded, "session ended")
	ErrPermission      = sentinel(StatusPermission, "permission denied")
	ErrBackpressure    = sentinel(StatusBackpressure, "trace buffer full")
	ErrTimeout         = sentinel(StatusTimeout, "timeout")
	ErrChainInvalid    = sentinel(StatusChainInvalid, "chain invalid")
	ErrIO              = sentinel(StatusIO, "I/O error")
	ErrShutdown        = sentinel(StatusShutdown, "resolver closed or shutting down")
	ErrInternal        = sentinel(StatusInternal, "internal error")
)

func sentinel(code Status, message string) *Error {
	return &Error{Code: code, Message: message}
}

// takeError turns the outcome of a C call into a Go error and frees the
// C error object. status is the function's return value and cerr what it
// stored in its cra_error out-parameter.
func takeError(op string, status C.cra_status, cerr *C.cra_error) error {
	if cerr == nil {
		if status == C.CRA_OK {
			return nil
		}
		// Not expected: the ABI always fills err on failure.
		return &Error{Code: Status(status), Op: op, Message: "libcra returned no error details"}
	}
	defer C.cra_error_free(cerr)
	if status == C.CRA_OK {
		return nil
	}
	code := Status(C.cra_error_code(cerr))
	if code == StatusOK {
		code = Status(status)
	}
	return &Error{Code: code, Op: op, Message: C.GoString(C.cra_error_message(cerr))}
}

// newError makes an error detected on the Go side, before any C call.
func newError(code Status, op, message string) *Error {
	return &Error{Code: code, Op: op, Message: message}
}
