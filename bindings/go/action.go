package cra

// #include <cra.h>
import "C"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"time"
)

// CheckRequest asks whether an action may run now (CARP.md "Checking an
// action before running it"). CheckAction adds the CARP/1.0 envelope: the
// version, the operation, a random request id and the current time.
type CheckRequest struct {
	SessionID string
	AgentID   string
	// ResolutionID is the ResolutionID of a Resolution of the session.
	ResolutionID string
	// ActionID is one of that resolution's allowed actions.
	ActionID string
	// Parameters are the action's arguments, marshalled with
	// encoding/json; they must encode to a JSON object (a struct or a
	// map). nil (and a nil map) is the empty object {}.
	Parameters any
}

// The values of CheckResult.Decision.
const (
	CheckApproved = "approved"
	CheckDenied   = "denied"
)

// CheckResult is libcra's answer to a CheckRequest. A denial is a result,
// not an error.
type CheckResult struct {
	// RequestID is the request id CheckAction generated for the check.
	RequestID string
	// Decision is CheckApproved or CheckDenied.
	Decision string
	ActionID string
	// ExecutionID identifies an approved check; pass it to ReportAction.
	// "" when denied.
	ExecutionID string
	// Reason says why the check was denied (CARP.md's rules); "" when
	// approved.
	Reason string
	// PolicyID is the policy that denied the check, "" when approved or
	// denied by a rule that is not a policy (such as the schema).
	PolicyID string
	// ParametersHash is the lower-case hex SHA-256 of the parameters'
	// canonical JSON, as recorded in the trace.
	ParametersHash string
}

// Approved reports whether the action may run.
func (c CheckResult) Approved() bool { return c.Decision == CheckApproved }

// wireRequester is the requester of check and report requests.
type wireRequester struct {
	AgentID   string `json:"agent_id"`
	SessionID string `json:"session_id"`
}

type checkWire struct {
	CARPVersion  string          `json:"carp_version"`
	Operation    string          `json:"operation"`
	RequestID    string          `json:"request_id"`
	Timestamp    time.Time       `json:"timestamp"`
	Requester    wireRequester   `json:"requester"`
	ResolutionID string          `json:"resolution_id"`
	ActionID     string          `json:"action_id"`
	Parameters   json.RawMessage `json:"parameters"`
}

type checkResultWire struct {
	RequestID      string  `json:"request_id"`
	Decision       string  `json:"decision"`
	ActionID       string  `json:"action_id"`
	ExecutionID    *string `json:"execution_id"`
	Reason         *string `json:"reason"`
	PolicyID       *string `json:"policy_id"`
	ParametersHash string  `json:"parameters_hash"`
}

// CheckAction checks an action the host is about to run: libcra decides
// again now (resolution known and not expired, action allowed and still
// loaded, parameters valid against the action's parameters_schema,
// policies, approval). An approved check gets an ExecutionID and charges
// the rate limits and budgets matching the action; a denied one charges
// nothing. Either way the attempt is recorded in the session's trace.
//
// Errors (nothing recorded, nothing charged): ErrInvalidArgument
// (Parameters that do not encode to a JSON object, a NUL byte, an
// over-long value); ErrInvalidRequest (the message names the JSON
// pointer); ErrNotFound (session); ErrPermission (the agent does not own
// the session); ErrSessionEnded; ErrBackpressure; ErrShutdown.
func (r *Resolver) CheckAction(req CheckRequest) (CheckResult, error) {
	const op = "cra_check_action"
	params, err := objectJSON(op, "parameters", req.Parameters, "{}")
	if err != nil {
		return CheckResult{}, err
	}
	body, err := json.Marshal(checkWire{
		CARPVersion:  "1.0",
		Operation:    "check_action",
		RequestID:    newRequestID(),
		Timestamp:    time.Now().UTC(),
		Requester:    wireRequester{AgentID: req.AgentID, SessionID: req.SessionID},
		ResolutionID: req.ResolutionID,
		ActionID:     req.ActionID,
		Parameters:   params,
	})
	if err != nil {
		return CheckResult{}, newError(StatusInvalidArgument, op, fmt.Sprintf("cannot encode the request: %v", err))
	}
	var out []byte
	err = r.use(op, func(h *C.cra_resolver) error {
		p, n := bytesArg(body)
		var buf C.cra_buf
		var cerr *C.cra_error
		status := C.cra_check_action(h, p, n, &buf, &cerr)
		runtime.KeepAlive(body)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		out = takeBuf(&buf)
		return nil
	})
	if err != nil {
		return CheckResult{}, err
	}
	var w checkResultWire
	if err := json.Unmarshal(out, &w); err != nil {
		return CheckResult{}, newError(StatusInternal, op, fmt.Sprintf("cannot decode the check result: %v", err))
	}
	return CheckResult{
		RequestID:      w.RequestID,
		Decision:       w.Decision,
		ActionID:       w.ActionID,
		ExecutionID:    deref(w.ExecutionID),
		Reason:         deref(w.Reason),
		PolicyID:       deref(w.PolicyID),
		ParametersHash: w.ParametersHash,
	}, nil
}

// AnswerApproval answers the approval approvalID (a Resolution's
// Decision.ApprovalID) of session sessionID: granted or rejected, by
// approver (not empty), with an optional reason ("" for none). Granted,
// later checks of that resolution's actions pass the approval rule;
// rejected, they are denied with "Approval rejected". Records
// approval.granted or approval.rejected.
//
// Errors (nothing recorded): ErrInvalidArgument (an empty approver, a
// malformed id, a NUL byte); ErrNotFound (the session, or an approval not
// of this session); ErrConflict (answered already, or the resolution has
// expired); ErrSessionEnded; ErrBackpressure; ErrShutdown.
func (r *Resolver) AnswerApproval(sessionID, approvalID string, granted bool, approver, reason string) error {
	const op = "cra_answer_approval"
	csession, err := cString(op, "session_id", sessionID)
	if err != nil {
		return err
	}
	defer freeCString(csession)
	capproval, err := cString(op, "approval_id", approvalID)
	if err != nil {
		return err
	}
	defer freeCString(capproval)
	capprover, err := cString(op, "approver", approver)
	if err != nil {
		return err
	}
	defer freeCString(capprover)
	var creason *C.char // NULL: no reason
	if reason != "" {
		if creason, err = cString(op, "reason", reason); err != nil {
			return err
		}
		defer freeCString(creason)
	}
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_answer_approval(h, csession, capproval, C.bool(granted), capprover, creason, &cerr)
		return takeError(op, status, cerr)
	})
}

// ReportRequest is the outcome of an action that an approved check let
// run. ReportAction adds the CARP/1.0 envelope.
type ReportRequest struct {
	SessionID string
	AgentID   string
	// ExecutionID is the approved CheckResult's ExecutionID.
	ExecutionID string
	// Failed reports status "failed"; false reports "executed".
	Failed bool
	// Duration is how long the action ran; sent in whole milliseconds.
	Duration time.Duration
	// ErrorCode and ErrorMessage are required when Failed, and must be ""
	// otherwise ("" is sent as null).
	ErrorCode    string
	ErrorMessage string
	// Result is the action's result, marshalled with encoding/json to a
	// JSON object; nil (or a nil map) sends null. Only its hash is
	// recorded.
	Result any
}

type reportWire struct {
	CARPVersion  string          `json:"carp_version"`
	Operation    string          `json:"operation"`
	RequestID    string          `json:"request_id"`
	Timestamp    time.Time       `json:"timestamp"`
	Requester    wireRequester   `json:"requester"`
	ExecutionID  string          `json:"execution_id"`
	Status       string          `json:"status"`
	DurationMS   int64           `json:"duration_ms"`
	ErrorCode    *string         `json:"error_code"`
	ErrorMessage *string         `json:"error_message"`
	Result       json.RawMessage `json:"result"`
}

// ReportAction reports the outcome of an approved check and records
// action.executed or action.failed under the check's span. Each
// execution is reported once.
//
// Errors (nothing recorded): ErrInvalidArgument (a negative Duration, a
// Result that does not encode to a JSON object); ErrInvalidRequest (such
// as a failure without ErrorCode and ErrorMessage; the message names the
// JSON pointer); ErrNotFound (the session, or an execution id of no
// approved check of it); ErrConflict (reported already); ErrPermission;
// ErrSessionEnded; ErrBackpressure; ErrShutdown.
func (r *Resolver) ReportAction(req ReportRequest) error {
	const op = "cra_report_action"
	if req.Duration < 0 {
		return newError(StatusInvalidArgument, op, fmt.Sprintf("duration %v is negative", req.Duration))
	}
	result, err := objectJSON(op, "result", req.Result, "null")
	if err != nil {
		return err
	}
	status := "executed"
	if req.Failed {
		status = "failed"
	}
	body, err := json.Marshal(reportWire{
		CARPVersion:  "1.0",
		Operation:    "report_action",
		RequestID:    newRequestID(),
		Timestamp:    time.Now().UTC(),
		Requester:    wireRequester{AgentID: req.AgentID, SessionID: req.SessionID},
		ExecutionID:  req.ExecutionID,
		Status:       status,
		DurationMS:   req.Duration.Milliseconds(),
		ErrorCode:    nullable(req.ErrorCode),
		ErrorMessage: nullable(req.ErrorMessage),
		Result:       result,
	})
	if err != nil {
		return newError(StatusInvalidArgument, op, fmt.Sprintf("cannot encode the request: %v", err))
	}
	return r.use(op, func(h *C.cra_resolver) error {
		p, n := bytesArg(body)
		var cerr *C.cra_error
		status := C.cra_report_action(h, p, n, &cerr)
		runtime.KeepAlive(body)
		return takeError(op, status, cerr)
	})
}

// objectJSON marshals v, which must encode to a JSON object; nil (or a
// value encoding to null, such as a nil map) gives absent instead.
func objectJSON(op, name string, v any, absent string) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage(absent), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, newError(StatusInvalidArgument, op, fmt.Sprintf("cannot encode %s: %v", name, err))
	}
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return json.RawMessage(absent), nil
	case len(b) == 0 || b[0] != '{':
		return nil, newError(StatusInvalidArgument, op, fmt.Sprintf("%s must encode to a JSON object, got %.40s", name, b))
	}
	return b, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
