/*
 * audit_store.c — reopen a durable trace store and verify every session
 * against its head, as an auditor would after the agents have stopped.
 *
 * Usage: audit_store STORE --sessions FILE
 *        audit_store STORE SESSION_ID...
 *
 * STORE is a store URL ("sqlite:PATH", parameters allowed) or the PATH of a
 * SQLite store file. The file must exist: this program never creates one.
 * FILE holds session ids, one a line (blank lines are skipped), as
 * `deferred_swarm --store sqlite:PATH --sessions-out FILE` and
 * `quickstart --store sqlite:PATH --sessions-out FILE` write it; the C ABI
 * has no call that lists a store's sessions.
 *
 * For each session:
 *   1. cra_session_head: the event count and last hash the store keeps for
 *      it, apart from its events;
 *   2. cra_get_trace: its TRACE/1.0 JSON Lines, read back from the file;
 *   3. cra_verify_jsonl_head: the text's chain, held against the head, so a
 *      trace whose last events were cut off is caught (CRA_CHAIN_TRUNCATED),
 *      which a plain hash chain cannot show;
 *   4. cra_verify_chain: the same check inside the resolver.
 * It prints one line per session and a summary.
 *
 * Exit status: 0 when every session verified; 1 when one did not (missing
 * from the store, a broken or cut-off chain, a malformed id); 2 when the
 * arguments, the sessions file or the store cannot be used (a store that
 * another resolver has open gives CRA_ERR_IO: one resolver per file).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cra.h"
#include "common/files.h"
#include "common/report.h"

/* How long to wait for a session's trace (it is read from the file). */
#define TRACE_WAIT_MS 10000

static const char SQLITE_SCHEME[] = "sqlite:";

/* The store URL for STORE: a URL as given, a bare path as "sqlite:PATH".
 * Returns a new string (free it), or NULL. */
static char *store_url_of(const char *store)
{
    bool is_url = strncmp(store, SQLITE_SCHEME, strlen(SQLITE_SCHEME)) == 0 || strstr(store, "://") != NULL ||
                  strcmp(store, "memory:") == 0;
    size_t len = (is_url ? 0 : strlen(SQLITE_SCHEME)) + strlen(store) + 1;
    char *url = malloc(len);
    if (url == NULL)
        return NULL;
    snprintf(url, len, "%s%s", is_url ? "" : SQLITE_SCHEME, store);
    return url;
}

/* For a sqlite: URL, whether its file exists (opening one that does not
 * would create an empty store, which has nothing to audit). */
static bool store_file_exists(const char *url)
{
    if (strncmp(url, SQLITE_SCHEME, strlen(SQLITE_SCHEME)) != 0)
        return true; /* another kind of store: let the library say */
    const char *path = url + strlen(SQLITE_SCHEME);
    size_t path_len = strcspn(path, "?");
    char *copy = malloc(path_len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, path, path_len);
    copy[path_len] = '\0';
    FILE *file = path_len > 0 ? fopen(copy, "rb") : NULL;
    if (file == NULL)
        fprintf(stderr, "audit_store: %s: no such store file (an audit never creates one)\n", copy);
    else
        fclose(file);
    free(copy);
    return file != NULL;
}

/* What the audit found, over all sessions. */
struct tally {
    unsigned sessions, verified, failed;
    unsigned long long events;
};

/* Prints why a session failed and counts it; frees err. */
static void session_failed(struct tally *tally, const char *session_id, const char *what, cra_status status,
                           cra_error *err)
{
    printf("FAIL %s: %s: %s: %s\n", session_id, what, cra_status_name(status), cra_error_message(err));
    cra_error_free(err);
    tally->failed++;
}

/* Prints a verification's failure: the kind, the event, the message. */
static void chain_failed(struct tally *tally, const char *session_id, const char *what,
                         const cra_verify_report *report, cra_error *err)
{
    printf("FAIL %s: %s: %s at event %lld (%llu valid events): %s\n", session_id, what,
           cra_chain_failure_name(report->failure), (long long)report->first_bad_index,
           (unsigned long long)report->events, cra_error_message(err));
    cra_error_free(err);
    tally->failed++;
}

static void audit_session(cra_resolver *resolver, const char *session_id, struct tally *tally)
{
    cra_error *err = NULL;
    cra_status status;
    cra_buf trace = {NULL, 0};
    tally->sessions++;

    /* 1. The head the store keeps for the session. */
    cra_head head;
    status = cra_session_head(resolver, session_id, &head, &err);
    if (status != CRA_OK) {
        session_failed(tally, session_id, "cra_session_head", status, err);
        return;
    }

    /* 2. Its trace, read back from the store. */
    status = cra_get_trace(resolver, session_id, CRA_TRACE_WAIT, TRACE_WAIT_MS, &trace, &err);
    if (status != CRA_OK) {
        session_failed(tally, session_id, "cra_get_trace", status, err);
        return;
    }

    /* 3. The text against the head: every hash, and nothing cut off. */
    cra_verify_report report;
    status = cra_verify_jsonl_head(trace.data, trace.len, &head, &report, &err);
    if (status == CRA_ERR_CHAIN_INVALID) {
        chain_failed(tally, session_id, "cra_verify_jsonl_head", &report, err);
        goto done;
    } else if (status != CRA_OK) {
        session_failed(tally, session_id, "cra_verify_jsonl_head", status, err);
        goto done;
    }
    /* Valid also when the text holds more than the head (a chain that grew
     * after the head was taken); in a store no one writes to, they match. */
    if (report.events != head.events || strcmp(report.head_hash, head.head_hash) != 0) {
        printf("FAIL %s: the trace has %llu events ending in %s, the head says %llu ending in %s\n", session_id,
               (unsigned long long)report.events, report.head_hash, (unsigned long long)head.events,
               head.head_hash);
        tally->failed++;
        goto done;
    }

    /* 4. The same chain, verified by the resolver. */
    cra_verify_report in_resolver;
    status = cra_verify_chain(resolver, session_id, &in_resolver, &err);
    if (status == CRA_ERR_CHAIN_INVALID) {
        chain_failed(tally, session_id, "cra_verify_chain", &in_resolver, err);
        goto done;
    } else if (status != CRA_OK) {
        session_failed(tally, session_id, "cra_verify_chain", status, err);
        goto done;
    }
    if (in_resolver.events != head.events || strcmp(in_resolver.head_hash, head.head_hash) != 0) {
        printf("FAIL %s: cra_verify_chain checked %llu events, the head says %llu\n", session_id,
               (unsigned long long)in_resolver.events, (unsigned long long)head.events);
        tally->failed++;
        goto done;
    }

    bool ended = strstr(trace.data, "\"event_type\":\"session.ended\"") != NULL;
    printf("ok   %s: %llu events, head %s (%s)\n", session_id, (unsigned long long)head.events, head.head_hash,
           ended ? "ended" : "open: resumable");
    tally->verified++;
    tally->events += head.events;

done:
    cra_buf_free(&trace);
}

/* Audits every id in text (one a line; \r before \n and blank lines are
 * skipped). Modifies text. */
static void audit_lines(cra_resolver *resolver, char *text, struct tally *tally)
{
    for (char *line = text; *line != '\0';) {
        char *end = line + strcspn(line, "\n");
        char *next = *end == '\n' ? end + 1 : end;
        *end = '\0';
        if (end > line && end[-1] == '\r')
            end[-1] = '\0';
        if (line[strspn(line, " \t")] != '\0')
            audit_session(resolver, line, tally);
        line = next;
    }
}

static int usage(const char *program)
{
    fprintf(stderr, "usage: %s STORE --sessions FILE\n       %s STORE SESSION_ID...\n", program, program);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage(argv[0]);
    const char *sessions_file = NULL;
    if (strcmp(argv[2], "--sessions") == 0) {
        if (argc != 4)
            return usage(argv[0]);
        sessions_file = argv[3];
    }

    int exit_code = 2;
    char *url = store_url_of(argv[1]);
    char *sessions = NULL;
    cra_resolver *resolver = NULL;
    cra_error *err = NULL;
    if (url == NULL || !store_file_exists(url))
        goto done;
    if (sessions_file != NULL && (sessions = read_file(sessions_file, NULL)) == NULL)
        goto done;

    /* Reopening brings back every session the file holds, ended or open. */
    cra_status status = cra_resolver_open(NULL, url, &resolver, &err);
    if (call_failed("cra_resolver_open", status, err))
        goto done;

    struct tally tally = {0, 0, 0, 0};
    if (sessions != NULL) {
        audit_lines(resolver, sessions, &tally);
    } else {
        for (int i = 2; i < argc; i++)
            audit_session(resolver, argv[i], &tally);
    }
    printf("audit_store: %s: %u sessions, %u verified against their heads (%llu events), %u failed\n", url,
           tally.sessions, tally.verified, tally.events, tally.failed);
    if (tally.sessions == 0) {
        fprintf(stderr, "audit_store: no session ids given\n");
        exit_code = 2;
    } else {
        exit_code = tally.failed == 0 ? 0 : 1;
    }

done:
    cra_resolver_free(resolver);
    free(sessions);
    free(url);
    return exit_code;
}
