//go:build !cra_pkgconfig

package cra

// Default build, for working inside the libcra repository: compile
// against the header and library of the checkout this package lives in
// (include/ and target/release/libcra.so, which scripts/build-lib.sh
// builds). The rpath records that checkout's target/release, so the
// package's tests and example run without LD_LIBRARY_PATH; it is also why
// modules outside the repository build with -tags cra_pkgconfig instead
// (cgo_pkgconfig.go, doc.go), and never carry a checkout's path.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lcra -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
