package cra

// cgo compiles the preambles in file-name order and this one comes first,
// so a missing cra.h is explained here, with the remedy for each way of
// building, instead of by the compiler's bare "No such file".

// #if defined(__has_include)
// #if !__has_include(<cra.h>)
// #error "libcra's cra.h not found. Inside the libcra repository the default build reads include/cra.h. From another module, build with -tags cra_pkgconfig against an installed libcra: PKG_CONFIG_PATH=<prefix>/lib/pkgconfig go build -tags cra_pkgconfig (see the package documentation)."
// #endif
// #endif
// #include <stdlib.h>
// #include <cra.h>
//
// // A valid, non-NULL pointer for empty (pointer, length) inputs: the ABI
// // rejects NULL even when the length is 0.
// static const char cra_go_empty_text[1] = {0};
// static const char *cra_go_empty(void) { return cra_go_empty_text; }
import "C"

import (
	"strings"
	"unsafe"
)

// bytesArg returns a pointer to b's first byte and its length, for the
// ABI's (const char *, size_t) JSON inputs. The slice is not copied: C
// reads it during the call only, and b holds no Go pointers. The caller
// must keep b alive until the call returns (runtime.KeepAlive).
func bytesArg(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return C.cra_go_empty(), 0
	}
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// cString copies s into C memory as a NUL-terminated string; free it with
// C.free. A string holding a NUL byte cannot be passed to C without being
// cut short, so it is refused with ErrInvalidArgument.
func cString(op, name, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(StatusInvalidArgument, op, name+" contains a NUL byte")
	}
	return C.CString(s), nil
}

// freeCString releases a string made by cString.
func freeCString(p *C.char) {
	C.free(unsafe.Pointer(p))
}

// takeBuf copies a library-owned cra_buf into Go memory and frees it.
func takeBuf(buf *C.cra_buf) []byte {
	defer C.cra_buf_free(buf)
	n := int(buf.len)
	out := make([]byte, n)
	if n > 0 && buf.data != nil {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(buf.data)), n))
	}
	return out
}

// idString reads a session id written into a CRA_ID_BUF_LEN buffer,
// stopping at the NUL (or at the end of the buffer, should it be missing).
func idString(buf *[C.CRA_ID_BUF_LEN]C.char) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf))
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
