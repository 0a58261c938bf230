package cra

// HoldProcessor lets the external tests (package cra_test) hold a
// deferred resolver's trace processor. Being in a _test.go file, it is
// compiled into the test binary only and is no part of the package's API.
func HoldProcessor(r *Resolver, hold bool) error {
	return r.holdProcessor(hold)
}
