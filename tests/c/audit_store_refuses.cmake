# audit_store vouches for the swarm's 4 sessions (exit 0, every one
# verified), must exit non-zero, saying why, when it cannot vouch for a
# session, and must never create the store it is asked to audit:
#
#   - the swarm's own ids                              -> exit 0, 4 of 4 verified
#   - an id the store does not hold, beside a good one -> exit 1, CRA_ERR_NOT_FOUND
#   - a line that is not a session id                  -> exit 1, CRA_ERR_INVALID_ARGUMENT
#   - a store file that does not exist                 -> exit 2, and still no file
#   - a sessions file with no id                       -> exit 2
#   - a store URL with an unknown parameter            -> exit 2, CRA_ERR_INVALID_ARGUMENT
#
#   cmake -DAUDIT_STORE=<program> -DSTORE=<file.db> -DSESSIONS=<ids file> -DWORK_DIR=<dir>
#         -P audit_store_refuses.cmake

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(STRINGS "${SESSIONS}" ids)
list(GET ids 0 good_id)

function(expect_audit name expected_code expected)
  execute_process(COMMAND "${AUDIT_STORE}" ${ARGN}
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL expected_code OR NOT "${out}${err}" MATCHES "${expected}")
    message(SEND_ERROR "${name}: expected exit ${expected_code} and '${expected}', got exit ${code}:\n${out}${err}")
  else()
    message(STATUS "${name}: exit ${code} as expected")
  endif()
endfunction()

expect_audit(all_verified 0 "4 sessions, 4 verified against their heads \\([0-9]+ events\\), 0 failed"
  "sqlite:${STORE}" --sessions "${SESSIONS}")

file(WRITE "${WORK_DIR}/unknown.sessions" "${good_id}\n01900000-0000-7000-8000-000000000000\n")
expect_audit(unknown_session 1 "FAIL 01900000-0000-7000-8000-000000000000: cra_session_head: CRA_ERR_NOT_FOUND.*2 sessions, 1 verified"
  "sqlite:${STORE}" --sessions "${WORK_DIR}/unknown.sessions")

expect_audit(malformed_id 1 "FAIL not-an-id: cra_session_head: CRA_ERR_INVALID_ARGUMENT"
  "sqlite:${STORE}" "${good_id}" not-an-id)

expect_audit(missing_store 2 "no such store file"
  "${WORK_DIR}/missing.db" --sessions "${SESSIONS}")
if(EXISTS "${WORK_DIR}/missing.db")
  message(SEND_ERROR "missing_store: audit_store created ${WORK_DIR}/missing.db")
endif()

file(WRITE "${WORK_DIR}/empty.sessions" "\n\n")
expect_audit(no_sessions 2 "no session ids given"
  "sqlite:${STORE}" --sessions "${WORK_DIR}/empty.sessions")

expect_audit(bad_url 2 "CRA_ERR_INVALID_ARGUMENT"
  "sqlite:${STORE}?colour=red" --sessions "${SESSIONS}")
