//go:build !cra_pkgconfig

package cra

// Default build: compile against the header and library of the repository
// this package lives in (include/cra.h and target/release/libcra.so, built
// by scripts/build-lib.sh). The rpath lets tests and programs find
// libcra.so.1 without LD_LIBRARY_PATH. Build with -tags cra_pkgconfig to
// use an installed library instead (see doc.go).

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lcra -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
