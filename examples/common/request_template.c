/* clock_gettime and gmtime_r are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include "request_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rfc3339_now(char out[RFC3339_LEN])
{
    struct timespec now;
    struct tm utc;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    size_t n = strftime(out, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(out + n, RFC3339_LEN - n, ".%06ldZ", now.tv_nsec / 1000);
}

static const char *value_of(const char *name, size_t name_len,
                            const struct template_value *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(values[i].name) == name_len && memcmp(values[i].name, name, name_len) == 0)
            return values[i].value;
    }
    return NULL;
}

/* Two passes over the template: the first measures, the second copies,
 * so the result is allocated once and never overflows. */
static size_t fill(char *out, const char *template_text, const struct template_value *values,
                   size_t count, const char **missing)
{
    size_t len = 0;
    const char *at = template_text;
    for (;;) {
        const char *open = strstr(at, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        size_t literal = close ? (size_t)(open - at) : strlen(at);
        if (out)
            memcpy(out + len, at, literal);
        len += literal;
        if (close == NULL)
            break;
        const char *value = value_of(open + 2, (size_t)(close - open - 2), values, count);
        if (value == NULL) {
            *missing = open;
            return 0;
        }
        if (out)
            memcpy(out + len, value, strlen(value));
        len += strlen(value);
        at = close + 2;
    }
    if (out)
        out[len] = '\0';
    return len;
}

char *template_fill(const char *template_text, const struct template_value *values, size_t count)
{
    const char *missing = NULL;
    size_t len = fill(NULL, template_text, values, count, &missing);
    if (missing != NULL) {
        fprintf(stderr, "request template: the placeholder at \"%.40s\" has no value\n", missing);
        return NULL;
    }
    char *out = malloc(len + 1);
    if (out == NULL) {
        fprintf(stderr, "request template: out of memory\n");
        return NULL;
    }
    fill(out, template_text, values, count, &missing);
    return out;
}

char *request_from_template(const char *template_text, const char *agent_id,
                            const char *session_id, const char *request_id)
{
    char timestamp[RFC3339_LEN];
    rfc3339_now(timestamp);
    const struct template_value values[] = {
        {"AGENT_ID", agent_id},
        {"SESSION_ID", session_id},
        {"REQUEST_ID", request_id},
        {"TIMESTAMP", timestamp},
    };
    return template_fill(template_text, values, sizeof values / sizeof values[0]);
}
