package cra

import (
	"errors"
	"strings"
	"testing"
)

// Lines of white space only are skipped; an undecodable line is reported
// with its 1-based number as ErrInternal.
func TestDecodeTraceEvents(t *testing.T) {
	jsonl := "\n{\"sequence\":0,\"parent_span_id\":null}\r\n  \n{\"sequence\":1,\"parent_span_id\":\"p\"}\n"
	events, err := decodeTraceEvents([]byte(jsonl))
	if err != nil || len(events) != 2 || events[1].Sequence != 1 || events[0].ParentSpanID != nil ||
		events[1].ParentSpanID == nil || *events[1].ParentSpanID != "p" {
		t.Fatalf("decodeTraceEvents = %+v, %v", events, err)
	}
	_, err = decodeTraceEvents([]byte("{\"sequence\":0}\n{\"sequence\":-1}\n"))
	if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line: %v, want ErrInternal naming line 2", err)
	}
	if events, err := decodeTraceEvents(nil); err != nil || events == nil || len(events) != 0 {
		t.Fatalf("empty trace: %v, %v; want an empty slice", events, err)
	}
}
