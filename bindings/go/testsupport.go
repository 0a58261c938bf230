package cra

// cra_testing.h declares libcra's test hooks; it is installed next to
// cra.h, and every libcra of ABI version 1 exports its symbols.

// #include "cra_testing.h"
import "C"

// holdProcessor calls libcra's test hook cra_test_hold_processor. It is
// unexported because only this package's tests need it (export_test.go
// hands it to them); cgo cannot live in a _test.go file, hence this file.
//
// While hold is true, a deferred resolver's trace processor stores
// nothing, so events queue up, waits run out and a small buffer fills
// deterministically. Passing false lets it go on; so does Close. It has
// no effect in immediate mode.
//
// Errors: ErrShutdown after Close.
func (r *Resolver) holdProcessor(hold bool) error {
	const op = "cra_test_hold_processor"
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_test_hold_processor(h, C.bool(hold), &cerr)
		return takeError(op, status, cerr)
	})
}
