/* A host program of its own, built against an installed libcra: it checks
 * that header and library agree, resolves one request and verifies the
 * trace the resolver wrote.
 *
 *   consumer ATLAS.json
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cra.h>

static int fail(const char *what, cra_status status, cra_error *err)
{
    fprintf(stderr, "consumer: %s: %s: %s\n", what, cra_status_name(status), cra_error_message(err));
    cra_error_free(err);
    return 1;
}

/* A CARP/1.0 resolve request for `session_id`, stamped now. */
static int format_request(char *out, size_t size, const char *agent_id, const char *session_id)
{
    char now[32];
    const time_t seconds = time(NULL);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &utc);
    const int written = snprintf(out, size,
                                 "{\"carp_version\": \"1.0\", \"request_id\": \"req-1\", \"timestamp\": \"%s\","
                                 " \"operation\": \"resolve\","
                                 " \"requester\": {\"agent_id\": \"%s\", \"session_id\": \"%s\"},"
                                 " \"task\": {\"goal\": \"Look up a customer\", \"risk_tier\": \"low\"}}",
                                 now, agent_id, session_id);
    return written > 0 && (size_t)written < size;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ATLAS.json\n", argv[0]);
        return 2;
    }
    if (cra_abi_version() != CRA_ABI_VERSION || cra_version_number() != CRA_VERSION_NUMBER) {
        fprintf(stderr, "consumer: header %d.%d.%d, library %s\n", CRA_VERSION_MAJOR, CRA_VERSION_MINOR,
                CRA_VERSION_PATCH, cra_version());
        return 1;
    }

    cra_resolver *resolver = NULL;
    cra_error *err = NULL;
    cra_status status = cra_resolver_new(NULL, &resolver, &err);
    if (status != CRA_OK)
        return fail("cra_resolver_new", status, err);

    int failed = 1;
    char session_id[CRA_ID_BUF_LEN];
    char request[1024];
    cra_buf resolution = {NULL, 0};
    cra_buf trace = {NULL, 0};
    cra_verify_report report;
    if ((status = cra_load_atlas_file(resolver, argv[1], &err)) != CRA_OK)
        failed = fail("cra_load_atlas_file", status, err);
    else if ((status = cra_session_begin(resolver, "consumer", "Look up a customer", session_id, &err)) != CRA_OK)
        failed = fail("cra_session_begin", status, err);
    else if (!format_request(request, sizeof request, "consumer", session_id))
        fprintf(stderr, "consumer: request too long\n");
    else if ((status = cra_resolve(resolver, request, strlen(request), &resolution, &err)) != CRA_OK)
        failed = fail("cra_resolve", status, err);
    else if ((status = cra_get_trace(resolver, session_id, CRA_TRACE_WAIT, 5000, &trace, &err)) != CRA_OK)
        failed = fail("cra_get_trace", status, err);
    else if ((status = cra_verify_jsonl(trace.data, trace.len, &report, &err)) != CRA_OK)
        failed = fail("cra_verify_jsonl", status, err);
    else {
        printf("consumer: libcra %s resolved a request; %llu events verify, head %.16s...\n", cra_version(),
               (unsigned long long)report.events, report.head_hash);
        failed = !strstr(resolution.data, "\"decision\"");
    }
    cra_buf_free(&trace);
    cra_buf_free(&resolution);
    cra_resolver_free(resolver);
    return failed;
}
