//! The C ABI's rule for calls that reach a resolver once
//! `cra_resolver_free` has begun: every function answers
//! `CRA_ERR_SHUTDOWN` at once and names the reason.

use super::*;
use std::ffi::{c_char, CStr};
use std::ptr;

/// A deferred resolver with the example atlas, a session and one resolve
/// behind it, whose `cra_resolver_free` has begun.
struct Closing {
    resolver: *mut cra_resolver,
    session: [c_char; CRA_ID_BUF_LEN],
}

const ATLAS: &CStr = c"examples/data/billing.atlas.json";

impl Closing {
    fn new() -> Closing {
        let mut config = cra_config::defaults();
        config.trace_mode = CRA_TRACE_DEFERRED;
        let mut resolver = ptr::null_mut();
        let mut session = [0 as c_char; CRA_ID_BUF_LEN];
        // SAFETY: every pointer is valid for the call.
        unsafe {
            assert_eq!(
                cra_resolver_new(&config, &mut resolver, ptr::null_mut()),
                CRA_OK
            );
            assert_eq!(
                cra_load_atlas_file(resolver, ATLAS.as_ptr(), ptr::null_mut()),
                CRA_OK
            );
            let (agent, goal) = (c"agent-7", c"Refund a charge");
            let begun = cra_session_begin(
                resolver,
                agent.as_ptr(),
                goal.as_ptr(),
                session.as_mut_ptr(),
                ptr::null_mut(),
            );
            assert_eq!(begun, CRA_OK);
            (*resolver).refuse_new_calls();
        }
        Closing { resolver, session }
    }

    /// Runs `call` against the closing resolver and checks it was refused.
    fn assert_refused(
        &mut self,
        name: &str,
        call: impl FnOnce(*mut cra_resolver, *const c_char, *mut *mut cra_error) -> cra_status,
    ) {
        let mut err = ptr::null_mut();
        let status = call(self.resolver, self.session.as_ptr(), &mut err);
        assert_eq!(status, CRA_ERR_SHUTDOWN, "{name}");
        // SAFETY: `err` was set by the call and is freed once.
        let message = unsafe {
            let message = CStr::from_ptr(cra_error_message(err))
                .to_string_lossy()
                .into_owned();
            cra_error_free(err);
            message
        };
        assert!(message.contains("cra_resolver_free"), "{name}: {message}");
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        // SAFETY: the resolver was created here and is freed once.
        unsafe { cra_resolver_free(self.resolver) };
    }
}

macro_rules! refused {
    ($test:ident, |$r:ident, $session:ident, $err:ident| $call:expr) => {
        #[test]
        fn $test() {
            let mut closing = Closing::new();
            // SAFETY: the pointers are valid; the call is refused before it
            // reads any of them.
            closing.assert_refused(stringify!($test), |$r, $session, $err| unsafe { $call });
        }
    };
}

const REQUEST: &str = "{}";

refused!(load_atlas, |r, _session, err| cra_load_atlas(
    r,
    REQUEST.as_ptr().cast(),
    REQUEST.len(),
    err
));
refused!(load_atlas_file, |r, _session, err| cra_load_atlas_file(
    r,
    ATLAS.as_ptr(),
    err
));
refused!(unload_atlas, |r, _session, err| cra_unload_atlas(
    r,
    c"com.example.billing".as_ptr(),
    err
));
refused!(session_begin, |r, _session, err| cra_session_begin(
    r,
    c"agent-7".as_ptr(),
    c"goal".as_ptr(),
    [0 as c_char; CRA_ID_BUF_LEN].as_mut_ptr(),
    err
));
refused!(session_end, |r, session, err| cra_session_end(
    r,
    session,
    c"done".as_ptr(),
    err
));
refused!(resolve, |r, _session, err| cra_resolve(
    r,
    REQUEST.as_ptr().cast(),
    REQUEST.len(),
    &mut cra_buf {
        data: ptr::null_mut(),
        len: 0
    },
    err
));
refused!(is_trace_ready, |r, session, err| cra_is_trace_ready(
    r, session, &mut false, err
));
refused!(await_trace_ready_without_waiting, |r, session, err| {
    cra_await_trace_ready(r, session, 0, err)
});
refused!(flush_traces_without_waiting, |r, _session, err| {
    cra_flush_traces(r, 0, err)
});
refused!(get_trace, |r, session, err| cra_get_trace(
    r,
    session,
    CRA_TRACE_PARTIAL,
    0,
    &mut cra_buf {
        data: ptr::null_mut(),
        len: 0
    },
    err
));
refused!(verify_chain, |r, session, err| {
    let mut report = std::mem::zeroed::<cra_verify_report>();
    cra_verify_chain(r, session, &mut report, err)
});
refused!(stats_get, |r, _session, err| {
    let mut stats = std::mem::zeroed::<cra_stats>();
    cra_stats_get(r, &mut stats, err)
});
refused!(test_hold_processor, |r, _session, err| {
    cra_test_hold_processor(r, true, err)
});
refused!(await_trace_durable, |r, session, err| {
    cra_await_trace_durable(r, session, 0, err)
});
refused!(session_resume, |r, session, err| {
    cra_session_resume(r, session, c"again".as_ptr(), err)
});
refused!(store_stats_get, |r, _session, err| {
    let mut stats = cra_store_stats::default();
    cra_store_stats_get(r, &mut stats, err)
});
refused!(session_head, |r, session, err| {
    let mut head = std::mem::zeroed::<cra_head>();
    cra_session_head(r, session, &mut head, err)
});
refused!(check_action, |r, _session, err| {
    let mut result = cra_buf {
        data: ptr::null_mut(),
        len: 0,
    };
    cra_check_action(r, c"{}".as_ptr(), 2, &mut result, err)
});
refused!(answer_approval, |r, session, err| {
    cra_answer_approval(
        r,
        session,
        c"01936f2a-7c00-7000-8000-000000000001".as_ptr(),
        true,
        c"ann".as_ptr(),
        ptr::null(),
        err,
    )
});
refused!(report_action, |r, _session, err| {
    cra_report_action(r, c"{}".as_ptr(), 2, err)
});
