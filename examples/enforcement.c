/*
 * enforcement.c — checking each action before running it, in C.
 *
 * A resolution says what an agent may do; before the host runs one of
 * those actions it asks libcra again (cra_check_action), which applies
 * the schema, approvals, rate limits and budgets at that moment, and after
 * running it the host reports the outcome (cra_report_action). Every step
 * lands in the session's hash-chained trace. The loop:
 *
 *   1. create a resolver and load examples/data/ops.atlas.json: a refund
 *      with a parameters_schema and a require_approval policy, an export
 *      rate limited to 2 calls per 60 s, and an allow-all policy;
 *   2. begin a session and resolve: the resolution needs an approval;
 *   3. check the refund with bad parameters (denied: schema), with good
 *      ones (denied: approval required), answer the approval (granted),
 *      check again (approved), run it, report it executed;
 *   4. check the export three times (the third is denied: rate limit) and
 *      report one approved export failed, the other executed;
 *   5. end the session, fetch its trace and verify its chain.
 *
 * Usage: enforcement [--trace-out FILE] [ATLAS.json]
 *
 * --trace-out writes the trace (TRACE/1.0 JSON Lines) to FILE, for
 * `python3 tools/cra-verify FILE`. Each check prints one line:
 *     check billing.refund {"amount_cents":0}: denied (Parameters do not ...) policy -
 * Exit status 0 when every step did what the comments say, 1 otherwise.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cra.h"
#include "common/files.h"
#include "common/report.h"

/* Set by CMake to <source>/examples/data, so the example runs from anywhere. */
#ifndef CRA_EXAMPLES_DATA_DIR
#define CRA_EXAMPLES_DATA_DIR "examples/data"
#endif

static const char AGENT_ID[] = "agent-7";

/* Room for the values read back from results ("Parameters do not match ..." is the longest). */
#define VALUE_MAX 512

/* ------------------------------------------------------------------------
 * Requests: libcra writes them from plain fields (cra_*_request_json),
 * with the CARP envelope, a new request id and the time now, so this
 * program builds no JSON of its own.
 * --------------------------------------------------------------------- */

struct host {
    cra_resolver *resolver;
    char session_id[CRA_ID_BUF_LEN];
};

/* ------------------------------------------------------------------------
 * Reading results. libcra writes them as compact JSON; a host with a JSON
 * library would use it. This example reads the few flat members it needs:
 * json_member(json, "reason", out, size) copies the string value of the
 * first "reason" member (escapes left as written) and returns true, or
 * writes "" and returns false when the member is null or missing.
 * --------------------------------------------------------------------- */

static bool json_member(const char *json, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    out[0] = '\0';
    const char *at = strstr(json, key);
    if (at == NULL)
        return false;
    at += strlen(key);
    while (*at == ' ')
        at++;
    if (*at != '"')
        return false; /* null */
    at++;
    size_t len = 0;
    while (at[len] != '\0' && at[len] != '"') {
        if (at[len] == '\\' && at[len + 1] != '\0')
            len++; /* keep the escape and the character it escapes */
        len++;
    }
    if (len >= size)
        len = size - 1;
    memcpy(out, at, len);
    out[len] = '\0';
    return true;
}

/* One check's answer, as read from the result JSON. */
struct check {
    bool approved;
    char execution_id[CRA_ID_BUF_LEN];
    char reason[VALUE_MAX];
    char policy_id[VALUE_MAX];
};

/* Asks whether action_id may run now with parameters (a JSON object),
 * prints the answer and fills *check. Returns false when the call failed
 * (a denial is an answer, not a failure). */
static bool check_action(struct host *host, const char *resolution_id, const char *action_id,
                         const char *parameters, struct check *check)
{
    cra_check_request fields;
    cra_check_request_init(&fields);
    fields.session_id = host->session_id;
    fields.agent_id = AGENT_ID;
    fields.resolution_id = resolution_id;
    fields.action_id = action_id;
    fields.parameters_json = parameters;
    fields.parameters_len = strlen(parameters);
    cra_buf request = {NULL, 0}, result = {NULL, 0};
    cra_error *err = NULL;
    cra_status status = cra_check_request_json(&fields, &request, &err);
    if (status == CRA_OK)
        status = cra_check_action(host->resolver, request.data, request.len, &result, &err);
    cra_buf_free(&request);
    if (call_failed("cra_check_action", status, err))
        return false;
    char decision[32];
    json_member(result.data, "decision", decision, sizeof decision);
    check->approved = strcmp(decision, "approved") == 0;
    json_member(result.data, "execution_id", check->execution_id, sizeof check->execution_id);
    json_member(result.data, "reason", check->reason, sizeof check->reason);
    json_member(result.data, "policy_id", check->policy_id, sizeof check->policy_id);
    if (check->approved)
        printf("check %s %s: approved, execution %s\n", action_id, parameters, check->execution_id);
    else
        printf("check %s %s: denied (%s) policy %s\n", action_id, parameters, check->reason,
               check->policy_id[0] ? check->policy_id : "-");
    cra_buf_free(&result);
    return true;
}

/* Reports what running an approved check did: error_code NULL for success. */
static bool report_action(struct host *host, const char *execution_id, unsigned duration_ms,
                          const char *error_code, const char *error_message)
{
    cra_report_request fields;
    cra_report_request_init(&fields);
    fields.session_id = host->session_id;
    fields.agent_id = AGENT_ID;
    fields.execution_id = execution_id;
    fields.duration_ms = duration_ms;
    if (error_code != NULL) {
        fields.status = CRA_OUTCOME_FAILED;
        fields.error_code = error_code;
        fields.error_message = error_message;
    }
    cra_buf request = {NULL, 0};
    cra_error *err = NULL;
    cra_status status = cra_report_request_json(&fields, &request, &err);
    if (status == CRA_OK)
        status = cra_report_action(host->resolver, request.data, request.len, &err);
    cra_buf_free(&request);
    if (call_failed("cra_report_action", status, err))
        return false;
    printf("report %s: %s%s%s\n", execution_id, error_code ? "failed (" : "executed",
           error_code ? error_code : "", error_code ? ")" : "");
    return true;
}

/* A step that must come out as expected. */
static bool expect(bool condition, const char *what)
{
    if (!condition)
        fprintf(stderr, "unexpected: %s\n", what);
    return condition;
}

int main(int argc, char **argv)
{
    const char *atlas_path = CRA_EXAMPLES_DATA_DIR "/ops.atlas.json";
    const char *trace_out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--trace-out") == 0 && i + 1 < argc)
            trace_out = argv[++i];
        else if (argv[i][0] != '-')
            atlas_path = argv[i];
        else {
            fprintf(stderr, "usage: %s [--trace-out FILE] [ATLAS.json]\n", argv[0]);
            return 2;
        }
    }

    int exit_code = 1; /* until everything succeeded */
    struct host host = {NULL, ""};
    cra_buf resolution = {NULL, 0};
    cra_buf trace = {NULL, 0};
    cra_error *err = NULL;
    cra_status status;
    cra_buf request = {NULL, 0};
    char resolution_id[CRA_ID_BUF_LEN], approval_id[CRA_ID_BUF_LEN];
    struct check check;

    /* 1. A resolver with the defaults and the ops atlas. */
    status = cra_resolver_new(NULL, &host.resolver, &err);
    if (call_failed("cra_resolver_new", status, err))
        goto done;
    status = cra_load_atlas_file(host.resolver, atlas_path, &err);
    if (call_failed("cra_load_atlas_file", status, err))
        goto done;
    printf("loaded atlas %s\n", atlas_path);

    /* 2. A session and its resolution. The refund's require_approval policy
     *    makes the decision "requires_approval", with an approval id. */
    status = cra_session_begin(host.resolver, AGENT_ID, "Refund a customer and export the report",
                               host.session_id, &err);
    if (call_failed("cra_session_begin", status, err))
        goto done;
    printf("session %s begun for %s\n", host.session_id, AGENT_ID);
    cra_resolve_request task;
    cra_resolve_request_init(&task);
    task.session_id = host.session_id;
    task.agent_id = AGENT_ID;
    task.goal = "Refund a customer and export the report";
    task.risk_tier = "medium";
    status = cra_resolve_request_json(&task, &request, &err);
    if (call_failed("cra_resolve_request_json", status, err))
        goto done;
    status = cra_resolve(host.resolver, request.data, request.len, &resolution, &err);
    if (call_failed("cra_resolve", status, err))
        goto done;
    char decision_type[32];
    if (!expect(json_member(resolution.data, "resolution_id", resolution_id, sizeof resolution_id),
                "a resolution id") ||
        !expect(json_member(resolution.data, "approval_id", approval_id, sizeof approval_id),
                "an approval id (the refund needs one)"))
        goto done;
    json_member(resolution.data, "type", decision_type, sizeof decision_type);
    printf("resolution %s: %s, approval %s\n", resolution_id, decision_type, approval_id);

    /* 3. The refund. Bad parameters fail the action's schema before any
     *    policy is looked at; good ones wait for the approval. */
    if (!check_action(&host, resolution_id, "billing.refund", "{\"amount_cents\":0}", &check) ||
        !expect(!check.approved && strncmp(check.reason, "Parameters do not match the schema", 34) == 0,
                "a schema denial"))
        goto done;
    if (!check_action(&host, resolution_id, "billing.refund", "{\"amount_cents\":2500}", &check) ||
        !expect(!check.approved && strcmp(check.reason, "Approval required") == 0 &&
                    strcmp(check.policy_id, "refund-approval") == 0,
                "an approval denial"))
        goto done;

    /* A person grants it (the host asked them; libcra records who). */
    status = cra_answer_approval(host.resolver, host.session_id, approval_id, true, "billing-lead",
                                 "customer was charged twice", &err);
    if (call_failed("cra_answer_approval", status, err))
        goto done;
    printf("approval %s: granted by billing-lead\n", approval_id);

    if (!check_action(&host, resolution_id, "billing.refund", "{\"amount_cents\":2500}", &check) ||
        !expect(check.approved && check.execution_id[0] != '\0', "an approved refund"))
        goto done;
    /* ... the host runs the refund here, then reports how it went. */
    if (!report_action(&host, check.execution_id, 42, NULL, NULL))
        goto done;

    /* 4. The export: 2 calls per 60 s. Approved checks are charged; the
     *    third in the window is denied (and charges nothing). */
    char exports[2][CRA_ID_BUF_LEN];
    for (int i = 0; i < 3; i++) {
        if (!check_action(&host, resolution_id, "report.export", "{}", &check))
            goto done;
        if (i < 2) {
            if (!expect(check.approved, "an approved export"))
                goto done;
            memcpy(exports[i], check.execution_id, CRA_ID_BUF_LEN);
        } else if (!expect(!check.approved && strcmp(check.reason, "Rate limit exceeded") == 0 &&
                               strcmp(check.policy_id, "export-rate") == 0,
                           "a rate limit denial")) {
            goto done;
        }
    }
    if (!report_action(&host, exports[0], 120, NULL, NULL) ||
        !report_action(&host, exports[1], 3000, "timeout", "the report store did not answer in 3 s"))
        goto done;

    /* 5. End the session; its trace holds every check, approval and report. */
    status = cra_session_end(host.resolver, host.session_id, "work done", &err);
    if (call_failed("cra_session_end", status, err))
        goto done;
    status = cra_get_trace(host.resolver, host.session_id, CRA_TRACE_WAIT, 5000, &trace, &err);
    if (call_failed("cra_get_trace", status, err))
        goto done;
    if (trace_out != NULL) {
        if (!write_file(trace_out, trace.data, trace.len))
            goto done;
        printf("trace written to %s\n", trace_out);
    }
    cra_verify_report report;
    status = cra_verify_jsonl(trace.data, trace.len, &report, &err);
    if (status == CRA_OK || status == CRA_ERR_CHAIN_INVALID)
        printf("trace: %llu events, chain %s\n", (unsigned long long)report.events,
               cra_chain_failure_name(report.failure));
    if (call_failed("cra_verify_jsonl", status, err))
        goto done;
    exit_code = 0;

done:
    cra_buf_free(&request);
    cra_buf_free(&trace);
    cra_buf_free(&resolution);
    cra_resolver_free(host.resolver);
    return exit_code;
}
