//! Canonical JSON: byte-for-byte what Python's
//! `json.dumps(value, sort_keys=True, separators=(",", ":"))` prints.
