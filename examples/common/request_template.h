/*
 * request_template.h — CARP/1.0 requests from a JSON template.
 *
 * A request names the session it belongs to and carries the time it was
 * made, so it cannot be a fixed file. The examples keep it as a template
 * (examples/data/request.json) with {{NAME}} placeholders and fill in the
 * session id, a request id and the current time for each call.
 */
#ifndef CRA_EXAMPLE_REQUEST_TEMPLATE_H
#define CRA_EXAMPLE_REQUEST_TEMPLATE_H

#include <stddef.h>

/* Room for "2026-11-28T12:00:00.000250Z" and its NUL. */
#define RFC3339_LEN 28

/* Writes the current UTC time as RFC 3339 with microseconds, the way
 * TRACE timestamps are written. */
void rfc3339_now(char out[RFC3339_LEN]);

/* One placeholder: name "SESSION_ID" replaces every "{{SESSION_ID}}". */
struct template_value {
    const char *name;
    const char *value;
};

/* Returns a new string (free() it): template with every {{NAME}} replaced
 * by its value. Values are inserted verbatim, so they must already be
 * valid inside a JSON string (ids and timestamps are; arbitrary user text
 * needs escaping first). Returns NULL, after printing why to stderr, when
 * a placeholder has no value or memory runs out. */
char *template_fill(const char *template_text, const struct template_value *values, size_t count);

/* The request template filled for one call: AGENT_ID, SESSION_ID,
 * REQUEST_ID, and TIMESTAMP set to now. Same ownership as template_fill. */
char *request_from_template(const char *template_text, const char *agent_id,
                            const char *session_id, const char *request_id);

#endif
