/*
 * audit_verify.c — check a saved trace file, as an auditor would.
 *
 * Usage: audit_verify TRACE.jsonl
 *
 * The file holds TRACE/1.0 JSON Lines (one event per line, one or more
 * sessions). cra_verify_jsonl recomputes every event's SHA-256 hash and
 * checks each session's chain; it needs no resolver, only the file.
 *
 * Exit status: 0 when every chain is valid; 1 when one is not, after
 * printing the first bad line (1-based, as editors count) and the kind of
 * failure; 2 when the file cannot be read or the call fails otherwise.
 *
 * A plain hash chain cannot show that events were cut off its end: compare
 * the printed head hash with one kept elsewhere to detect that, or let
 * cra_verify_jsonl_head do it with a cra_head from cra_session_head (as
 * audit_store does for every session of a durable store).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cra.h"
#include "common/files.h"
#include "common/report.h"

/* The TRACE.md name of a cra_verify_report.failure value. */
static const char *failure_name(uint32_t failure)
{
    switch (failure) {
    case CRA_CHAIN_VALID: return "valid";
    case CRA_CHAIN_MALFORMED: return "malformed";
    case CRA_CHAIN_SEQUENCE_GAP: return "sequence_gap";
    case CRA_CHAIN_BROKEN: return "chain_broken";
    case CRA_CHAIN_HASH_MISMATCH: return "hash_mismatch";
    case CRA_CHAIN_SESSION_MISMATCH: return "session_mismatch";
    default: return "unknown";
    }
}

static int is_blank_line(const char *start, const char *end)
{
    for (const char *c = start; c < end; c++) {
        if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\v' && *c != '\f')
            return 0;
    }
    return 1;
}

/* cra_verify_report.first_bad_index counts the non-empty lines from 0;
 * a person wants the line number in the file. (libcra also treats lines of
 * Unicode white space as empty; such files are rare enough not to matter
 * here, and the message still names the event index.) */
static unsigned long long file_line_of_event(const char *text, size_t len, int64_t index)
{
    unsigned long long line = 1;
    int64_t events = 0;
    const char *end = text + len;
    for (const char *start = text; start <= end; line++) {
        const char *newline = start;
        while (newline < end && *newline != '\n')
            newline++;
        if (!is_blank_line(start, newline) && events++ == index)
            return line;
        start = newline + 1;
    }
    return line; /* past the end: the index is one after the last line */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRACE.jsonl\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    size_t len = 0;
    char *text = read_file(path, &len);
    if (text == NULL)
        return 2;

    cra_verify_report report;
    cra_error *err = NULL;
    cra_status status = cra_verify_jsonl(text, len, &report, &err);
    int exit_code;
    if (status == CRA_OK) {
        printf("%s: valid, %llu events, head %s\n", path, (unsigned long long)report.events,
               report.head_hash[0] ? report.head_hash : "(none)");
        exit_code = 0;
    } else if (status == CRA_ERR_CHAIN_INVALID) {
        /* The report is filled for an invalid chain too; err says why. */
        fprintf(stderr, "%s: line %llu: %s (event %lld): %s\n", path,
                file_line_of_event(text, len, report.first_bad_index), failure_name(report.failure),
                (long long)report.first_bad_index, cra_error_message(err));
        cra_error_free(err);
        exit_code = 1;
    } else {
        call_failed("cra_verify_jsonl", status, err); /* bad UTF-8, too large, ... */
        exit_code = 2;
    }
    free(text);
    return exit_code;
}
