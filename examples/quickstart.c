/*
 * quickstart.c — the whole life of one agent session, in C.
 *
 *   1. create a resolver (immediate mode: every call hashes its own events)
 *      on a store: memory, or a durable SQLite file;
 *   2. load an atlas: the actions, policies and context an agent may get;
 *   3. begin a session for the agent;
 *   4. resolve a CARP/1.0 request: what may the agent do for its goal?
 *   5. fetch the session's trace and verify its SHA-256 chain, twice: in
 *      the resolver (cra_verify_chain) and as exported text (cra_verify_jsonl),
 *      which is what an auditor holding only the file would do;
 *   6. end the session, wait until its trace is committed to the store
 *      (cra_await_trace_durable), print its head, and free everything.
 *
 * Usage: quickstart [--store URL] [--trace-out FILE] [--sessions-out FILE]
 *                   [ATLAS.json [REQUEST-TEMPLATE.json]]
 *
 * The defaults are examples/data/billing.atlas.json and request.json.
 * --store names where the trace goes: "memory:" (the default: gone when the
 * program exits) or "sqlite:PATH", a file created when missing; each run
 * adds its session to it. --trace-out writes the session's trace (TRACE/1.0
 * JSON Lines) to FILE, for `audit_verify FILE` or
 * `python3 tools/cra-verify FILE`. --sessions-out writes the session's id
 * to FILE, for `audit_store sqlite:PATH --sessions FILE`.
 *
 * Every libcra call is checked; a failure prints the status name and the
 * library's message (see common/report.h) and exits with status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cra.h"
#include "common/files.h"
#include "common/report.h"
#include "common/request_template.h"

/* Set by CMake to <source>/examples/data, so the example runs from anywhere. */
#ifndef CRA_EXAMPLES_DATA_DIR
#define CRA_EXAMPLES_DATA_DIR "examples/data"
#endif

static const char AGENT_ID[] = "agent-7";

/* How long step 6 waits for the store to commit the session's events. */
#define DURABLE_WAIT_MS 10000

struct options {
    const char *atlas_path;
    const char *request_path;
    const char *store_url;    /* NULL: the memory store */
    const char *trace_out;    /* NULL: do not write the trace */
    const char *sessions_out; /* NULL: do not write the session id */
};

static int parse_options(int argc, char **argv, struct options *options)
{
    options->atlas_path = CRA_EXAMPLES_DATA_DIR "/billing.atlas.json";
    options->request_path = CRA_EXAMPLES_DATA_DIR "/request.json";
    options->store_url = NULL;
    options->trace_out = NULL;
    options->sessions_out = NULL;
    const char **positional[] = {&options->atlas_path, &options->request_path};
    size_t given = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            options->store_url = argv[++i];
        else if (strcmp(argv[i], "--trace-out") == 0 && i + 1 < argc)
            options->trace_out = argv[++i];
        else if (strcmp(argv[i], "--sessions-out") == 0 && i + 1 < argc)
            options->sessions_out = argv[++i];
        else if (argv[i][0] != '-' && given < 2)
            *positional[given++] = argv[i];
        else {
            fprintf(stderr,
                    "usage: %s [--store URL] [--trace-out FILE] [--sessions-out FILE] "
                    "[ATLAS.json [REQUEST-TEMPLATE.json]]\n",
                    argv[0]);
            return -1;
        }
    }
    return 0;
}

/* Prints what a verification found. */
static void print_report(const char *what, const cra_verify_report *report)
{
    printf("%s: %llu events, head %s", what, (unsigned long long)report->events,
           report->head_hash[0] ? report->head_hash : "(none)");
    if (report->failure != CRA_CHAIN_VALID)
        printf(", first bad event %lld (failure %u)", (long long)report->first_bad_index, report->failure);
    printf("\n");
}

int main(int argc, char **argv)
{
    struct options options;
    if (parse_options(argc, argv, &options) != 0)
        return 2;

    int exit_code = 1; /* until everything succeeded */
    cra_resolver *resolver = NULL;
    char *request_template = NULL;
    char *request = NULL;
    cra_buf resolution = {NULL, 0}; /* library-owned text: cra_buf_free */
    cra_buf trace = {NULL, 0};
    char session_id[CRA_ID_BUF_LEN] = "";
    cra_error *err = NULL;
    cra_status status;

    printf("libcra %s (C ABI %u)\n", cra_version(), cra_abi_version());
    if (cra_abi_version() != CRA_ABI_VERSION) {
        fprintf(stderr, "this program was built for C ABI %d\n", CRA_ABI_VERSION);
        return 1;
    }

    /* 1. A resolver with the defaults (NULL config): immediate trace mode.
     *    A NULL store URL is the memory store, as cra_resolver_new. */
    const char *store = options.store_url != NULL ? options.store_url : "memory:";
    status = cra_resolver_open(NULL, options.store_url, &resolver, &err);
    if (call_failed("cra_resolver_open", status, err))
        goto done;
    printf("resolver on store %s\n", store);

    /* 2. The atlas; its context pack files are read relative to it. */
    status = cra_load_atlas_file(resolver, options.atlas_path, &err);
    if (call_failed("cra_load_atlas_file", status, err))
        goto done;
    printf("loaded atlas %s\n", options.atlas_path);

    /* 3. A session: libcra writes its id (36 characters + NUL) into ours. */
    status = cra_session_begin(resolver, AGENT_ID, "Settle a billing dispute", session_id, &err);
    if (call_failed("cra_session_begin", status, err))
        goto done;
    printf("session %s begun for %s\n", session_id, AGENT_ID);

    /* 4. The request: the template with this session's id and the time now. */
    request_template = read_file(options.request_path, NULL);
    if (request_template == NULL)
        goto done;
    request = request_from_template(request_template, AGENT_ID, session_id, "req-1");
    if (request == NULL)
        goto done;
    status = cra_resolve(resolver, request, strlen(request), &resolution, &err);
    if (call_failed("cra_resolve", status, err))
        goto done;
    printf("\nresolution:\n%s\n\n", resolution.data);

    /* 5. The trace. In immediate mode it is complete when cra_resolve
     *    returns; CRA_TRACE_WAIT with a timeout works in both modes. */
    status = cra_get_trace(resolver, session_id, CRA_TRACE_WAIT, 5000, &trace, &err);
    if (call_failed("cra_get_trace", status, err))
        goto done;
    printf("trace: %zu bytes of TRACE/1.0 JSON Lines\n", trace.len);
    if (options.trace_out != NULL) {
        if (!write_file(options.trace_out, trace.data, trace.len))
            goto done;
        printf("trace written to %s\n", options.trace_out);
    }

    cra_verify_report report;
    status = cra_verify_chain(resolver, session_id, &report, &err);
    if (status == CRA_OK || status == CRA_ERR_CHAIN_INVALID)
        print_report("cra_verify_chain", &report); /* filled in both cases */
    if (call_failed("cra_verify_chain", status, err))
        goto done;

    status = cra_verify_jsonl(trace.data, trace.len, &report, &err);
    if (status == CRA_OK || status == CRA_ERR_CHAIN_INVALID)
        print_report("cra_verify_jsonl", &report);
    if (call_failed("cra_verify_jsonl", status, err))
        goto done;

    /* 6. End the session. Then wait until its events are committed to the
     *    store: with "memory:" they already are (and go with the resolver),
     *    with "sqlite:PATH" they are in the file, which a later resolver
     *    reopens with this session. The head (event count and last hash),
     *    kept apart from the trace, later shows whether its end was cut off. */
    status = cra_session_end(resolver, session_id, "dispute settled", &err);
    if (call_failed("cra_session_end", status, err))
        goto done;
    printf("session ended\n");
    status = cra_await_trace_durable(resolver, session_id, DURABLE_WAIT_MS, &err);
    if (call_failed("cra_await_trace_durable", status, err))
        goto done;
    cra_head head;
    status = cra_session_head(resolver, session_id, &head, &err);
    if (call_failed("cra_session_head", status, err))
        goto done;
    if (strcmp(store, "memory:") == 0 || store[0] == '\0')
        printf("trace kept in memory (gone when the resolver is freed): ");
    else
        printf("trace committed to %s: ", store);
    printf("session %s, %llu events, head %s\n", session_id, (unsigned long long)head.events, head.head_hash);
    if (options.sessions_out != NULL) {
        char line[CRA_ID_BUF_LEN + 1];
        snprintf(line, sizeof line, "%s\n", session_id);
        if (!write_file(options.sessions_out, line, strlen(line)))
            goto done;
        printf("session id written to %s\n", options.sessions_out);
    }
    exit_code = 0;

done:
    cra_buf_free(&trace); /* free(NULL)-like: safe on an empty cra_buf */
    cra_buf_free(&resolution);
    free(request);
    free(request_template);
    cra_resolver_free(resolver); /* last call on the handle; NULL is fine */
    return exit_code;
}
