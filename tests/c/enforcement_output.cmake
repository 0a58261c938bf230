# The enforcement example must succeed and print each step's decision, in
# this order: the schema denial, the approval denial, the approval, the
# approved refund and its report, two approved exports, the rate-limit
# denial, one export executed and one failed, and a valid chain.
#
#   cmake -DENFORCEMENT=<program> -DTRACE=<trace.jsonl> -P enforcement_output.cmake

execute_process(COMMAND "${ENFORCEMENT}" --trace-out "${TRACE}"
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "enforcement exited with ${code}:\n${out}${err}")
endif()

set(uuid "[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+")
set(expected
  "resolution ${uuid}: requires_approval, approval ${uuid}\n"
  "check billing.refund {\"amount_cents\":0}: denied \\(Parameters do not match the schema: /amount_cents: [^\n]*\\) policy -\n"
  "check billing.refund {\"amount_cents\":2500}: denied \\(Approval required\\) policy refund-approval\n"
  "approval ${uuid}: granted by billing-lead\n"
  "check billing.refund {\"amount_cents\":2500}: approved, execution ${uuid}\n"
  "report ${uuid}: executed\n"
  "check report.export {}: approved, execution ${uuid}\n"
  "check report.export {}: approved, execution ${uuid}\n"
  "check report.export {}: denied \\(Rate limit exceeded\\) policy export-rate\n"
  "report ${uuid}: executed\n"
  "report ${uuid}: failed \\(timeout\\)\n"
  "trace: 22 events, chain CRA_CHAIN_VALID\n")

# Each expected line, after the one before it.
set(rest "${out}")
foreach(line IN LISTS expected)
  string(REGEX MATCH "${line}" found "${rest}")
  if(NOT found)
    message(FATAL_ERROR "enforcement: expected a line matching\n  ${line}\nafter what was already matched; output:\n${out}")
  endif()
  string(FIND "${rest}" "${found}" at)
  string(LENGTH "${found}" len)
  math(EXPR next "${at} + ${len}")
  string(SUBSTRING "${rest}" ${next} -1 rest)
endforeach()
message(STATUS "enforcement: every decision as expected")
