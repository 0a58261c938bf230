package cra

// #include <cra.h>
import "C"

// HoldProcessorForTest is test support (cra_test_hold_processor), never
// needed in production: while hold is true, a deferred resolver's trace
// processor stores nothing, so events queue up, waits run out and a small
// buffer fills deterministically. Passing false lets it go on; so does
// Close. It has no effect in immediate mode.
//
// Errors: ErrShutdown after Close.
func (r *Resolver) HoldProcessorForTest(hold bool) error {
	const op = "cra_test_hold_processor"
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_test_hold_processor(h, C.bool(hold), &cerr)
		return takeError(op, status, cerr)
	})
}
