//! Robustness at the trust boundary, as properties run on generated input:
//! a short run in the test command, a long one with `scripts/fuzz.sh`
//! (`CRA_FUZZ_CASES`). The differential properties of the hand-written
//! readers against their plain counterparts (the request scanner against
//! serde, the JSONL layout reader against the general reader,
//! `is_canonical` against re-serializing, the canonical writer against
//! Python's `json.dumps`) live beside those readers and take the same
//! setting.
//!
//! Here, through the C ABI with arbitrary bytes: no input makes a call
//! panic (a caught panic is `CRA_ERR_INTERNAL`), every failure comes with
//! an error, and a resolver survives whatever it was fed. And verification
//! reports the same on one thread as on several.

use cra::ffi::*;
use cra::test_support::{fuzz_cases, vector_lines};
use cra::{verify_jsonl_with, VerifyOptions};
use proptest::prelude::*;
use std::ffi::{c_char, CStr};
use std::ptr;

/// A resolver made through the C ABI, with the example atlas loaded and one
/// session begun, freed when dropped.
struct Host {
    resolver: *mut cra_resolver,
    session: [c_char; CRA_ID_BUF_LEN],
}

impl Host {
    fn new() -> Host {
        let mut resolver = ptr::null_mut();
        let mut session = [0 as c_char; CRA_ID_BUF_LEN];
        // SAFETY: every pointer is valid for its call.
        unsafe {
            assert_eq!(
                cra_resolver_new(ptr::null(), &mut resolver, ptr::null_mut()),
                CRA_OK
            );
            let atlas = c"examples/data/billing.atlas.json";
            assert_eq!(
                cra_load_atlas_file(resolver, atlas.as_ptr(), ptr::null_mut()),
                CRA_OK
            );
            let begun = cra_session_begin(
                resolver,
                c"agent-7".as_ptr(),
                c"Refund a charge".as_ptr(),
                session.as_mut_ptr(),
                ptr::null_mut(),
            );
            assert_eq!(begun, CRA_OK);
        }
        Host { resolver, session }
    }

    fn session(&self) -> &str {
        // SAFETY: cra_session_begin wrote a NUL-terminated id.
        unsafe { CStr::from_ptr(self.session.as_ptr()) }
            .to_str()
            .unwrap_or_default()
    }

    /// A valid request of this host's session.
    fn request(&self, request_id: &str) -> String {
        let now = time_now();
        format!(
            r#"{{"carp_version":"1.0","request_id":"{request_id}","timestamp":"{now}","operation":"resolve","requester":{{"agent_id":"agent-7","session_id":"{}"}},"task":{{"goal":"Refund a charge","risk_tier":"low"}}}}"#,
            self.session()
        )
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: created in `new`, freed once.
        unsafe { cra_resolver_free(self.resolver) };
    }
}

fn time_now() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    String::from_utf8(cra::internals::format_timestamp(micros).to_vec()).unwrap_or_default()
}

/// Checks a call's outcome: never a panic, and an error exactly on failure.
fn assert_handled(what: &str, status: cra_status, err: *mut cra_error) {
    assert_ne!(status, CRA_ERR_INTERNAL, "{what}: a panic was caught");
    assert_eq!(status == CRA_OK, err.is_null(), "{what}: status {status}");
    // SAFETY: `err` is NULL or an error the call created; freed once.
    unsafe { cra_error_free(err) };
}

/// `base` with `edits` applied: each replaces the byte at a position (taken
/// modulo the length) or, past the end, cuts the text there.
fn mutated(base: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for &(position, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = position % (bytes.len() + 8);
        match bytes.get_mut(at) {
            Some(slot) => *slot = byte,
            None => bytes.truncate(at % bytes.len()),
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>()), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases(256)))]

    #[test]
    fn arbitrary_and_mutated_atlases_are_handled(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        edits in edits(),
    ) {
        let host = Host::new();
        let atlas = std::fs::read("examples/data/billing.atlas.json").unwrap_or_default();
        for input in [bytes, mutated(&atlas, &edits)] {
            let mut err = ptr::null_mut();
            // SAFETY: `input` is readable for its length.
            let status = unsafe {
                cra_load_atlas(host.resolver, input.as_ptr().cast(), input.len(), &mut err)
            };
            assert_handled("cra_load_atlas", status, err);
        }
    }

    #[test]
    fn arbitrary_and_mutated_requests_are_handled(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        edits in edits(),
        n in any::<u32>(),
    ) {
        let host = Host::new();
        let request = host.request(&format!("req-{n}"));
        for input in [bytes, mutated(request.as_bytes(), &edits)] {
            let mut resolution = cra_buf { data: ptr::null_mut(), len: 0 };
            let mut err = ptr::null_mut();
            // SAFETY: `input` is readable for its length; the buffer is ours.
            let status = unsafe {
                let status = cra_resolve(
                    host.resolver,
                    input.as_ptr().cast(),
                    input.len(),
                    &mut resolution,
                    &mut err,
                );
                cra_buf_free(&mut resolution);
                status
            };
            assert_handled("cra_resolve", status, err);
        }
        // Whatever it was fed, the resolver still resolves and its chain holds.
        let good = host.request(&format!("good-{n}"));
        let mut resolution = cra_buf { data: ptr::null_mut(), len: 0 };
        let mut report = cra_verify_report {
            events: 0, pending: 0, first_bad_index: 0, failure: 0, head_hash: [0; 65],
        };
        // SAFETY: as above.
        unsafe {
            let status = cra_resolve(host.resolver, good.as_ptr().cast(), good.len(), &mut resolution, ptr::null_mut());
            prop_assert_eq!(status, CRA_OK);
            cra_buf_free(&mut resolution);
            let status = cra_verify_chain(host.resolver, host.session.as_ptr(), &mut report, ptr::null_mut());
            prop_assert_eq!(status, CRA_OK);
        }
    }

    #[test]
    fn arbitrary_and_mutated_traces_are_handled_alike_on_any_thread_count(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        edits in edits(),
    ) {
        let trace = vector_lines().join("\n");
        for input in [bytes, mutated(trace.as_bytes(), &edits)] {
            let mut report = cra_verify_report {
                events: 0, pending: 0, first_bad_index: 0, failure: 0, head_hash: [0; 65],
            };
            let mut err = ptr::null_mut();
            // SAFETY: `input` is readable for its length.
            let status = unsafe {
                cra_verify_jsonl(input.as_ptr().cast(), input.len(), &mut report, &mut err)
            };
            assert_handled("cra_verify_jsonl", status, err);
            if let Ok(text) = std::str::from_utf8(&input) {
                let one = verify_jsonl_with(text, VerifyOptions { threads: 1 });
                let two = verify_jsonl_with(text, VerifyOptions { threads: 2 });
                prop_assert_eq!(&one, &two);
                prop_assert_eq!(one.failure.is_none(), status == CRA_OK);
            }
        }
    }
}
