//go:build cra_pkgconfig

package cra

// Build tag cra_pkgconfig: find cra.h and libcra through pkg-config's
// "cra" package (cra.pc) instead of the repository tree (see doc.go).

// #cgo pkg-config: cra
import "C"
