# audit_verify must refuse a tampered trace and name the first bad line and
# the kind of failure. Two tamperings of the quickstart's trace:
#
#   - a changed timestamp on line 3 (an edit)      -> line 3: hash_mismatch
#   - line 2 removed (an event deleted)            -> line 2: sequence_gap
#
#   cmake -DAUDIT_VERIFY=<program> -DTRACE=<trace.jsonl> -DWORK_DIR=<dir> -P tamper_trace.cmake

file(READ "${TRACE}" text)
file(MAKE_DIRECTORY "${WORK_DIR}")

# Where lines 2 and 3 begin, and line 3's length.
string(FIND "${text}" "\n" end1)
math(EXPR line2 "${end1} + 1")
string(SUBSTRING "${text}" ${line2} -1 rest)
string(FIND "${rest}" "\n" end2)
math(EXPR line3 "${line2} + ${end2} + 1")
string(SUBSTRING "${text}" ${line3} -1 rest)
string(FIND "${rest}" "\n" end3)

function(expect_refused name tampered expected)
  set(path "${WORK_DIR}/${name}.trace.jsonl")
  file(WRITE "${path}" "${tampered}")
  execute_process(COMMAND "${AUDIT_VERIFY}" "${path}"
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 1 OR NOT err MATCHES "${expected}")
    message(SEND_ERROR "${name}: expected exit 1 and '${expected}', got exit ${code}:\n${out}${err}")
  else()
    message(STATUS "${name}: refused as expected: ${err}")
  endif()
endfunction()

# An edit: the year of line 3's timestamp ("timestamp":"2026-... -> "1026-...).
string(SUBSTRING "${text}" ${line3} ${end3} third)
string(FIND "${third}" "\"timestamp\":\"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "line 3 of ${TRACE} has no timestamp")
endif()
math(EXPR year "${line3} + ${at} + 13")
math(EXPR after_year "${year} + 1")
string(SUBSTRING "${text}" 0 ${year} before)
string(SUBSTRING "${text}" ${after_year} -1 after)
expect_refused(edited "${before}1${after}" "line 3: hash_mismatch")

# A deletion: line 2 removed.
string(SUBSTRING "${text}" 0 ${line2} before)
string(SUBSTRING "${text}" ${line3} -1 after)
expect_refused(deleted "${before}${after}" "line 2: sequence_gap")
