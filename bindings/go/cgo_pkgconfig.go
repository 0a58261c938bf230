//go:build cra_pkgconfig

package cra

// Build tag cra_pkgconfig, for modules outside the libcra repository:
// take the flags of an installed libcra from pkg-config's "cra" package.
// The installed cra.pc carries -Wl,-rpath,${libdir}, so programs find
// libcra.so.1 in the install prefix without LD_LIBRARY_PATH (doc.go).

// #cgo pkg-config: cra
import "C"
