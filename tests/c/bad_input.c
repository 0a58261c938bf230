/*
 * bad_input.c — every exported function against a careless or hostile host.
 *
 * ABI.md promises, for every call:
 *   - the exact status of its table (NULL, bad UTF-8, malformed ids and
 *     out-of-range settings are CRA_ERR_INVALID_ARGUMENT, checked before
 *     any work is done);
 *   - *err set to a new error (with that status and a message) on failure
 *     and to NULL on success, and err == NULL accepted;
 *   - outputs written only on success;
 *   - a failed call changes nothing, so the resolver keeps working.
 *
 * Each check runs a call and compares; the program prints every failed
 * check with its line and exits 1 if there was one. Sections:
 *   versions and names, freeing, config, NULL pointers, argument order,
 *   text arguments, JSON inputs, session ids, flags, rules of the
 *   resolver, deferred mode (with cra_test_hold_processor), durable stores
 *   (store URLs, one resolver per file, heads, in a mkdtemp folder),
 *   action checks, approvals and reports (on examples/data/ops.atlas.json),
 *   and finally a full resolve on the same resolver.
 */
/* mmap's MAP_ANONYMOUS and MAP_NORESERVE, clock_gettime, mkdtemp. */
#define _DEFAULT_SOURCE

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cra.h"
#include "cra_testing.h"
#include "common/files.h"
#include "common/request_template.h"

/* ------------------------------------------------------------------------
 * Checking
 * --------------------------------------------------------------------- */

static unsigned checks;
static unsigned failures;

static void fail(int line, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "bad_input.c:%d: ", line);
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    failures++;
}

#define CHECK(condition)                                        \
    do {                                                        \
        checks++;                                               \
        if (!(condition))                                       \
            fail(__LINE__, "check failed: %s", #condition);     \
    } while (0)

/* A pointer the library must replace (with NULL or a new error); it is
 * never dereferenced or freed. */
static char poison_target;
#define POISON_ERR ((cra_error *)(void *)&poison_target)

/* Checks one call's status; when err_given, also that *err was set to
 * NULL on success, or on failure to an error with the same code and a
 * message. Frees that error. */
static void check_outcome(int line, const char *call, cra_status expected, cra_status got,
                          cra_error *err, int err_given)
{
    checks++;
    if (got != expected) {
        fail(line, "%s\n    returned %s, expected %s%s%s", call, cra_status_name(got),
             cra_status_name(expected), err_given && err != POISON_ERR ? ": " : "",
             err_given && err != POISON_ERR ? cra_error_message(err) : "");
    } else if (err_given && expected == CRA_OK && err != NULL) {
        fail(line, "%s\n    succeeded but left *err %s", call, err == POISON_ERR ? "untouched" : "set");
    } else if (err_given && expected != CRA_OK) {
        if (err == NULL || err == POISON_ERR)
            fail(line, "%s\n    failed without setting *err", call);
        else if (cra_error_code(err) != expected || cra_error_message(err)[0] == '\0')
            fail(line, "%s\n    error object has code %s and message '%s'", call,
                 cra_status_name(cra_error_code(err)), cra_error_message(err));
    }
    if (err != POISON_ERR)
        cra_error_free(err);
}

/* EXPECT_STATUS(expected, call): `call` names its cra_error ** argument
 * ERR. It runs twice: with ERR pointing at a variable (checked as above),
 * then with ERR == NULL. Only for calls that change nothing when they
 * return `expected` — every failure, by the ABI's promise. */
#define EXPECT_STATUS(expected, call)                                         \
    do {                                                                      \
        cra_error *err_value_ = POISON_ERR;                                   \
        cra_error **ERR = &err_value_;                                        \
        cra_status first_ = (call);                                           \
        check_outcome(__LINE__, #call, (expected), first_, err_value_, 1);    \
        ERR = NULL;                                                           \
        cra_status second_ = (call);                                          \
        check_outcome(__LINE__, #call " [err NULL]", (expected), second_, NULL, 0); \
    } while (0)

/* EXPECT_ONCE(expected, call): one run with ERR set, for calls that change
 * state when they succeed (a session begun, an atlas loaded). */
#define EXPECT_ONCE(expected, call)                                           \
    do {                                                                      \
        cra_error *err_value_ = POISON_ERR;                                   \
        cra_error **ERR = &err_value_;                                        \
        cra_status status_ = (call);                                          \
        check_outcome(__LINE__, #call, (expected), status_, err_value_, 1);   \
    } while (0)

/* Outputs: filled with a pattern before a failing call, compared after. */
#define PATTERN 0xA5
static void poison(void *object, size_t size) { memset(object, PATTERN, size); }
static int untouched(const void *object, size_t size)
{
    const unsigned char *bytes = object;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != PATTERN)
            return 0;
    }
    return 1;
}

/* EXPECT_UNTOUCHED(expected, out, call): as EXPECT_STATUS, and `out` (an
 * object or array the call writes) is unchanged afterwards. */
#define EXPECT_UNTOUCHED(expected, out, call)                                 \
    do {                                                                      \
        poison(&(out), sizeof(out));                                          \
        EXPECT_STATUS(expected, call);                                        \
        checks++;                                                             \
        if (!untouched(&(out), sizeof(out)))                                  \
            fail(__LINE__, "%s\n    wrote its output although it failed", #call); \
    } while (0)

/* ------------------------------------------------------------------------
 * Inputs
 * --------------------------------------------------------------------- */

#define AGENT "agent-7"
#define KIB 1024u
#define MIB (1024u * 1024u)

/* Well-formed session ids no resolver ever issued. */
static const char UNKNOWN_SESSION[] = "01900000-0000-7000-8000-000000000000";
static const char NIL_SESSION[] = "00000000-0000-0000-0000-000000000000";

/* Session id texts that are not ids: each must be CRA_ERR_INVALID_ARGUMENT. */
static const char *const MALFORMED_SESSIONS[] = {
    "",
    "x",
    "01900000-0000-7000-8000-00000000000",   /* 35 characters */
    "01900000-0000-7000-8000-0000000000000", /* 37 characters */
    "01900000-0000-7000-8000-00000000000G",  /* not hex */
    "01900000-0000-7000-8000-00000000000A",  /* upper case */
    "0190000000007000800000000000000000000", /* no hyphens */
    "{01900000-0000-7000-8000-000000000000}",
    " 01900000-0000-7000-8000-000000000000",
    "01900000-0000-7000-8000-000000000000\n",
    "01900000_0000_7000_8000_000000000000",
};

/* Byte sequences that are not UTF-8. */
static const char *const BAD_UTF8[] = {
    "\xff",
    "caf\xc3",             /* truncated sequence */
    "\xc3\x28",            /* bad continuation */
    "\xc0\xaf",            /* overlong '/' */
    "\xed\xa0\x80",        /* UTF-16 surrogate */
    "\xf4\x90\x80\x80",    /* above U+10FFFF */
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static char *request_template; /* examples/data/request.json */
static char *huge;             /* 10 MB of 'a', NUL-terminated */

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t unit_len = strlen(unit), tail_len = strlen(tail);
    char *text = malloc(unit_len * times + tail_len + 1);
    if (text == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < times; i++)
        memcpy(text + i * unit_len, unit, unit_len);
    memcpy(text + unit_len * times, tail, tail_len + 1);
    return text;
}

/* `depth` nested arrays: [[[...]]]. */
static char *nested_arrays(size_t depth)
{
    char *open = repeat("[", depth, "");
    char *text = repeat("]", depth, "");
    char *both = malloc(2 * depth + 1);
    memcpy(both, open, depth);
    memcpy(both + depth, text, depth + 1);
    free(open);
    free(text);
    return both;
}

/* `depth` nested objects: {"a":{"a":...1...}}. */
static char *nested_objects(size_t depth)
{
    char *open = repeat("{\"a\":", depth, "1");
    char *close = repeat("}", depth, "");
    size_t open_len = strlen(open);
    char *both = malloc(open_len + depth + 1);
    memcpy(both, open, open_len);
    memcpy(both + open_len, close, depth + 1);
    free(open);
    free(close);
    return both;
}

/* The shipped request template for this session and request id. */
static char *shipped_request(const char *session_id, const char *request_id)
{
    char *request = request_from_template(request_template, AGENT, session_id, request_id);
    if (request == NULL)
        exit(2);
    return request;
}

/* A request with any of its fields changed (NULL fields keep a default). */
struct request_fields {
    const char *version, *request_id, *timestamp, *agent_id, *session_id, *goal;
    const char *capabilities, *atlas_ids, *context; /* JSON values */
};

static char *request_with(struct request_fields f)
{
    static const char TEMPLATE[] =
        "{\"carp_version\":\"{{VERSION}}\",\"request_id\":\"{{REQUEST_ID}}\","
        "\"timestamp\":\"{{TIMESTAMP}}\",\"operation\":\"resolve\","
        "\"requester\":{\"agent_id\":\"{{AGENT_ID}}\",\"session_id\":\"{{SESSION_ID}}\"},"
        "\"task\":{\"goal\":\"{{GOAL}}\",\"risk_tier\":\"high\",\"context_hints\":[\"billing\"],"
        "\"required_capabilities\":{{CAPABILITIES}}},"
        "\"atlas_ids\":{{ATLAS_IDS}},\"context\":{{CONTEXT}}}";
    char now[RFC3339_LEN];
    rfc3339_now(now);
    const struct template_value values[] = {
        {"VERSION", f.version ? f.version : "1.0"},
        {"REQUEST_ID", f.request_id ? f.request_id : "req-x"},
        {"TIMESTAMP", f.timestamp ? f.timestamp : now},
        {"AGENT_ID", f.agent_id ? f.agent_id : AGENT},
        {"SESSION_ID", f.session_id ? f.session_id : UNKNOWN_SESSION},
        {"GOAL", f.goal ? f.goal : "Refund a customer"},
        {"CAPABILITIES", f.capabilities ? f.capabilities : "[]"},
        {"ATLAS_IDS", f.atlas_ids ? f.atlas_ids : "[\"com.example.billing\"]"},
        {"CONTEXT", f.context ? f.context : "{}"},
    };
    char *request = template_fill(TEMPLATE, values, COUNT(values));
    if (request == NULL)
        exit(2);
    return request;
}

/* Events stored for a session, by the library's own count. */
static uint64_t stored_events(cra_resolver *r, const char *session_id)
{
    cra_verify_report report;
    if (cra_verify_chain(r, session_id, &report, NULL) != CRA_OK)
        return UINT64_MAX;
    return report.events;
}

static cra_resolver *new_resolver(const cra_config *config)
{
    cra_resolver *r = NULL;
    cra_error *err = NULL;
    if (cra_resolver_new(config, &r, &err) != CRA_OK) {
        fprintf(stderr, "cra_resolver_new: %s\n", cra_error_message(err));
        exit(2);
    }
    return r;
}

static void load_billing(cra_resolver *r)
{
    EXPECT_ONCE(CRA_OK, cra_load_atlas_file(r, CRA_EXAMPLES_DATA_DIR "/billing.atlas.json", ERR));
}

static void begin(cra_resolver *r, char session_id[CRA_ID_BUF_LEN])
{
    EXPECT_ONCE(CRA_OK, cra_session_begin(r, AGENT, "Handle a refund", session_id, ERR));
}

/* ------------------------------------------------------------------------
 * Sections
 * --------------------------------------------------------------------- */

static void versions_and_names(void)
{
    CHECK(cra_abi_version() == CRA_ABI_VERSION);
    CHECK(cra_version() != NULL && strcmp(cra_version(), CRA_EXPECTED_VERSION) == 0);

    static const char *const NAMES[] = {
        "CRA_OK", "CRA_ERR_INVALID_ARGUMENT", "CRA_ERR_INVALID_JSON", "CRA_ERR_INVALID_ATLAS",
        "CRA_ERR_INVALID_REQUEST", "CRA_ERR_NOT_FOUND", "CRA_ERR_CONFLICT", "CRA_ERR_SESSION_ENDED",
        "CRA_ERR_PERMISSION", "CRA_ERR_BACKPRESSURE", "CRA_ERR_TIMEOUT", "CRA_ERR_CHAIN_INVALID",
        "CRA_ERR_IO", "CRA_ERR_SHUTDOWN", "CRA_ERR_INTERNAL",
    };
    for (int s = 0; s < (int)COUNT(NAMES); s++)
        CHECK(strcmp(cra_status_name(s), NAMES[s]) == 0);
    const cra_status unknown[] = {-1, 15, 100, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < COUNT(unknown); i++)
        CHECK(strcmp(cra_status_name(unknown[i]), "CRA_UNKNOWN") == 0);

    static const char *const FAILURES[] = {
        "CRA_CHAIN_VALID", "CRA_CHAIN_MALFORMED", "CRA_CHAIN_SEQUENCE_GAP", "CRA_CHAIN_BROKEN",
        "CRA_CHAIN_HASH_MISMATCH", "CRA_CHAIN_SESSION_MISMATCH", "CRA_CHAIN_TRUNCATED", "CRA_CHAIN_HEAD_MISMATCH",
    };
    for (uint32_t f = 0; f < COUNT(FAILURES); f++)
        CHECK(strcmp(cra_chain_failure_name(f), FAILURES[f]) == 0);
    const uint32_t not_failures[] = {8, 100, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < COUNT(not_failures); i++)
        CHECK(strcmp(cra_chain_failure_name(not_failures[i]), "CRA_CHAIN_UNKNOWN") == 0);
}

static void freeing_nothing_and_twice(cra_resolver *r, const char *session_id)
{
    /* *_free(NULL) and friends are no-ops. */
    cra_error_free(NULL);
    cra_buf_free(NULL);
    cra_resolver_free(NULL);
    cra_config_init(NULL);
    CHECK(strcmp(cra_error_message(NULL), "") == 0);
    CHECK(cra_error_code(NULL) == CRA_OK);

    cra_buf empty = {NULL, 0};
    cra_buf_free(&empty);
    CHECK(empty.data == NULL && empty.len == 0);

    /* A real buffer: the first free zeroes it, so the second is harmless. */
    cra_buf trace = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, session_id, CRA_TRACE_PARTIAL, 0, &trace, ERR));
    CHECK(trace.data != NULL && trace.len > 0 && trace.data[trace.len] == '\0');
    cra_buf_free(&trace);
    CHECK(trace.data == NULL && trace.len == 0);
    cra_buf_free(&trace);
}

static void config(void)
{
    cra_config defaults;
    poison(&defaults, sizeof defaults);
    cra_config_init(&defaults);
    CHECK(defaults.struct_size == sizeof(cra_config));
    CHECK(defaults.trace_mode == CRA_TRACE_IMMEDIATE && defaults.buffer_capacity == 4096 &&
          defaults.backpressure == CRA_BACKPRESSURE_ERROR && defaults.block_timeout_ms == 100 &&
          defaults.ttl_seconds == 3600 && defaults.clock_skew_seconds == 300 &&
          defaults.shutdown_timeout_ms == 5000);

    cra_resolver *out;
    EXPECT_STATUS(CRA_ERR_INVALID_ARGUMENT, cra_resolver_new(NULL, NULL, ERR));
    EXPECT_STATUS(CRA_ERR_INVALID_ARGUMENT, cra_resolver_new(&defaults, NULL, ERR));

    /* struct_size smaller than the struct this library knows. */
    const uint32_t small_sizes[] = {0, 4, (uint32_t)sizeof(cra_config) - 1};
    for (size_t i = 0; i < COUNT(small_sizes); i++) {
        cra_config cfg = defaults;
        cfg.struct_size = small_sizes[i];
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_ARGUMENT, out, cra_resolver_new(&cfg, &out, ERR));
    }

    /* Every setting just outside its range (cra.h gives the ranges). */
    struct setting {
        const char *name;
        size_t offset;
        uint32_t value;
    };
#define SETTING(field, value) {#field "=" #value, offsetof(cra_config, field), (uint32_t)(value)}
    static const struct setting out_of_range[] = {
        SETTING(trace_mode, 2), SETTING(trace_mode, UINT32_MAX),
        SETTING(buffer_capacity, 0), SETTING(buffer_capacity, 15), SETTING(buffer_capacity, 16777217),
        SETTING(backpressure, 2), SETTING(backpressure, UINT32_MAX),
        SETTING(block_timeout_ms, 60001), SETTING(ttl_seconds, 0), SETTING(ttl_seconds, 604801),
        SETTING(clock_skew_seconds, 86401), SETTING(shutdown_timeout_ms, 600001),
    };
    static const struct setting in_range[] = {
        SETTING(trace_mode, CRA_TRACE_DEFERRED), SETTING(buffer_capacity, 16),
        SETTING(backpressure, CRA_BACKPRESSURE_BLOCK), SETTING(block_timeout_ms, 0),
        SETTING(block_timeout_ms, 60000), SETTING(ttl_seconds, 1), SETTING(ttl_seconds, 604800),
        SETTING(clock_skew_seconds, 0), SETTING(clock_skew_seconds, 86400),
        SETTING(shutdown_timeout_ms, 0), SETTING(shutdown_timeout_ms, 600000),
        /* A newer host's larger struct is accepted; only a smaller one is not. */
        SETTING(struct_size, sizeof(cra_config) + 8),
    };
#undef SETTING
    for (size_t i = 0; i < COUNT(out_of_range); i++) {
        cra_config cfg = defaults;
        memcpy((char *)&cfg + out_of_range[i].offset, &out_of_range[i].value, sizeof(uint32_t));
        size_t before = failures;
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_ARGUMENT, out, cra_resolver_new(&cfg, &out, ERR));
        if (failures != before)
            fprintf(stderr, "    (setting %s)\n", out_of_range[i].name);
    }
    for (size_t i = 0; i < COUNT(in_range); i++) {
        cra_config cfg = defaults;
        memcpy((char *)&cfg + in_range[i].offset, &in_range[i].value, sizeof(uint32_t));
        out = NULL;
        size_t before = failures;
        EXPECT_ONCE(CRA_OK, cra_resolver_new(&cfg, &out, ERR));
        CHECK(out != NULL);
        if (failures != before)
            fprintf(stderr, "    (setting %s)\n", in_range[i].name);
        cra_resolver_free(out);
    }

    /* NULL config: the defaults. err NULL on success is fine too. */
    out = NULL;
    CHECK(cra_resolver_new(NULL, &out, NULL) == CRA_OK && out != NULL);
    cra_resolver_free(out);
}

static void null_pointers(cra_resolver *r, const char *sid)
{
    const char atlas[] = "{}";
    char *request = shipped_request(sid, "req-null");
    size_t request_len = strlen(request);
    const char *path = CRA_EXAMPLES_DATA_DIR "/billing.atlas.json";
    char id[CRA_ID_BUF_LEN];
    cra_buf buf;
    bool ready;
    cra_verify_report report;
    cra_stats stats;
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;

    EXPECT_STATUS(A, cra_load_atlas(NULL, atlas, 2, ERR));
    EXPECT_STATUS(A, cra_load_atlas(r, NULL, 0, ERR));
    EXPECT_STATUS(A, cra_load_atlas(r, NULL, 2, ERR));
    EXPECT_STATUS(A, cra_load_atlas_file(NULL, path, ERR));
    EXPECT_STATUS(A, cra_load_atlas_file(r, NULL, ERR));
    EXPECT_STATUS(A, cra_unload_atlas(NULL, "com.example.billing", ERR));
    EXPECT_STATUS(A, cra_unload_atlas(r, NULL, ERR));

    EXPECT_UNTOUCHED(A, id, cra_session_begin(NULL, AGENT, "goal", id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, NULL, "goal", id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, AGENT, NULL, id, ERR));
    EXPECT_STATUS(A, cra_session_begin(r, AGENT, "goal", NULL, ERR));
    EXPECT_STATUS(A, cra_session_end(NULL, sid, "reason", ERR));
    EXPECT_STATUS(A, cra_session_end(r, NULL, "reason", ERR));
    EXPECT_STATUS(A, cra_session_end(r, sid, NULL, ERR));

    EXPECT_UNTOUCHED(A, buf, cra_resolve(NULL, request, request_len, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_resolve(r, NULL, request_len, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_resolve(r, NULL, 0, &buf, ERR));
    EXPECT_STATUS(A, cra_resolve(r, request, request_len, NULL, ERR));

    EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(NULL, sid, &ready, ERR));
    EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(r, NULL, &ready, ERR));
    EXPECT_STATUS(A, cra_is_trace_ready(r, sid, NULL, ERR));
    EXPECT_STATUS(A, cra_await_trace_ready(NULL, sid, 0, ERR));
    EXPECT_STATUS(A, cra_await_trace_ready(r, NULL, 0, ERR));
    EXPECT_STATUS(A, cra_flush_traces(NULL, 0, ERR));

    EXPECT_UNTOUCHED(A, buf, cra_get_trace(NULL, sid, CRA_TRACE_WAIT, 0, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_get_trace(r, NULL, CRA_TRACE_PARTIAL, 0, &buf, ERR));
    EXPECT_STATUS(A, cra_get_trace(r, sid, CRA_TRACE_WAIT, 0, NULL, ERR));

    EXPECT_UNTOUCHED(A, report, cra_verify_chain(NULL, sid, &report, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_chain(r, NULL, &report, ERR));
    EXPECT_STATUS(A, cra_verify_chain(r, sid, NULL, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl(NULL, 0, &report, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl(NULL, 10, &report, ERR));
    EXPECT_STATUS(A, cra_verify_jsonl("", 0, NULL, ERR));

    EXPECT_UNTOUCHED(A, stats, cra_stats_get(NULL, &stats, ERR));
    EXPECT_STATUS(A, cra_stats_get(r, NULL, ERR));
    EXPECT_STATUS(A, cra_test_hold_processor(NULL, true, ERR));
    EXPECT_STATUS(A, cra_test_hold_processor(NULL, false, ERR));

    /* Durable stores. A NULL store URL is the memory store, not an error. */
    cra_resolver *opened;
    cra_store_stats store_stats;
    cra_head head;
    cra_config defaults;
    cra_config_init(&defaults);
    EXPECT_STATUS(A, cra_resolver_open(NULL, NULL, NULL, ERR));
    EXPECT_STATUS(A, cra_resolver_open(&defaults, "memory:", NULL, ERR));
    EXPECT_STATUS(A, cra_await_trace_durable(NULL, sid, 0, ERR));
    EXPECT_STATUS(A, cra_await_trace_durable(NULL, NULL, 0, ERR));
    EXPECT_STATUS(A, cra_session_resume(NULL, sid, "reason", ERR));
    EXPECT_STATUS(A, cra_session_resume(r, NULL, "reason", ERR));
    EXPECT_STATUS(A, cra_session_resume(r, sid, NULL, ERR));
    EXPECT_UNTOUCHED(A, store_stats, cra_store_stats_get(NULL, &store_stats, ERR));
    EXPECT_STATUS(A, cra_store_stats_get(r, NULL, ERR));
    EXPECT_UNTOUCHED(A, head, cra_session_head(NULL, sid, &head, ERR));
    EXPECT_UNTOUCHED(A, head, cra_session_head(r, NULL, &head, ERR));
    EXPECT_STATUS(A, cra_session_head(r, sid, NULL, ERR));
    EXPECT_ONCE(CRA_OK, cra_session_head(r, sid, &head, ERR)); /* a real head for the next checks */
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head(NULL, 0, &head, &report, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head(NULL, 10, &head, &report, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head("", 0, NULL, &report, ERR));
    EXPECT_STATUS(A, cra_verify_jsonl_head("", 0, &head, NULL, ERR));
    opened = NULL;
    CHECK(cra_resolver_open(NULL, NULL, &opened, NULL) == CRA_OK && opened != NULL);
    cra_resolver_free(opened);
    free(request);
}

/* A NULL or invalid argument wins over every other problem of the call. */
static void arguments_first(cra_resolver *r)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    cra_buf buf;
    cra_verify_report report;
    bool ready;
    EXPECT_STATUS(A, cra_resolve(r, "not json", 8, NULL, ERR));
    EXPECT_STATUS(A, cra_load_atlas(NULL, "not json", 8, ERR));
    EXPECT_STATUS(A, cra_load_atlas_file(NULL, "/nonexistent/atlas.json", ERR));
    EXPECT_STATUS(A, cra_unload_atlas(NULL, "com.example.unknown", ERR));
    EXPECT_STATUS(A, cra_session_begin(r, "", "goal", NULL, ERR));
    EXPECT_STATUS(A, cra_session_end(r, UNKNOWN_SESSION, NULL, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_get_trace(r, UNKNOWN_SESSION, 7, 0, &buf, ERR));
    EXPECT_STATUS(A, cra_verify_chain(r, UNKNOWN_SESSION, NULL, ERR));
    EXPECT_STATUS(A, cra_is_trace_ready(r, UNKNOWN_SESSION, NULL, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl("\xff{", 2, &report, ERR));
    EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(r, "x", &ready, ERR));

    /* Stores: a bad setting or URL wins over a file that cannot be opened,
     * a NULL output over a session that does not exist. */
    cra_resolver *out;
    cra_head head;
    cra_config small;
    cra_config_init(&small);
    small.struct_size = 4;
    EXPECT_UNTOUCHED(A, out, cra_resolver_open(&small, "sqlite:/nonexistent/folder/trace.db", &out, ERR));
    EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, "sqlite:/nonexistent/folder/trace.db?sync=never", &out, ERR));
    EXPECT_STATUS(A, cra_resolver_open(NULL, "postgres://localhost/trace", NULL, ERR));
    EXPECT_STATUS(A, cra_session_resume(r, UNKNOWN_SESSION, NULL, ERR));
    EXPECT_STATUS(A, cra_session_head(r, UNKNOWN_SESSION, NULL, ERR));
    EXPECT_UNTOUCHED(A, head, cra_session_head(r, "x", &head, ERR));
    EXPECT_STATUS(A, cra_await_trace_durable(r, "x", 0, ERR));
    poison(&head, sizeof head); /* a head that is not hex wins over a broken text */
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head("{", 1, &head, &report, ERR));
}

static void text_arguments(cra_resolver *r, const char *sid)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    char id[CRA_ID_BUF_LEN];
    bool ready;
    cra_buf buf;
    cra_verify_report report;

    /* Invalid UTF-8 in every text and JSON parameter. */
    for (size_t i = 0; i < COUNT(BAD_UTF8); i++) {
        const char *bad = BAD_UTF8[i];
        EXPECT_STATUS(A, cra_load_atlas(r, bad, strlen(bad), ERR));
        EXPECT_STATUS(A, cra_load_atlas_file(r, bad, ERR));
        EXPECT_STATUS(A, cra_unload_atlas(r, bad, ERR));
        EXPECT_UNTOUCHED(A, id, cra_session_begin(r, bad, "goal", id, ERR));
        EXPECT_UNTOUCHED(A, id, cra_session_begin(r, AGENT, bad, id, ERR));
        EXPECT_STATUS(A, cra_session_end(r, sid, bad, ERR));
        EXPECT_STATUS(A, cra_session_end(r, bad, "reason", ERR));
        EXPECT_UNTOUCHED(A, buf, cra_resolve(r, bad, strlen(bad), &buf, ERR));
        EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(r, bad, &ready, ERR));
        EXPECT_STATUS(A, cra_await_trace_ready(r, bad, 0, ERR));
        EXPECT_UNTOUCHED(A, buf, cra_get_trace(r, bad, CRA_TRACE_PARTIAL, 0, &buf, ERR));
        EXPECT_UNTOUCHED(A, report, cra_verify_chain(r, bad, &report, ERR));
        EXPECT_UNTOUCHED(A, report, cra_verify_jsonl(bad, strlen(bad), &report, ERR));

        cra_resolver *out;
        cra_head head = {0, ""};
        memset(head.head_hash, '0', 64);
        char url[64];
        snprintf(url, sizeof url, "sqlite:/tmp/%s.db", bad);
        EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, bad, &out, ERR));
        EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, url, &out, ERR));
        EXPECT_STATUS(A, cra_await_trace_durable(r, bad, 0, ERR));
        EXPECT_STATUS(A, cra_session_resume(r, bad, "reason", ERR));
        EXPECT_STATUS(A, cra_session_resume(r, sid, bad, ERR));
        EXPECT_UNTOUCHED(A, head, cra_session_head(r, bad, &head, ERR));
        EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head(bad, strlen(bad), &head, &report, ERR));
    }
    /* Bad UTF-8 hidden inside otherwise valid JSON. */
    char *request = shipped_request(sid, "req-\xc3\x28");
    EXPECT_UNTOUCHED(A, buf, cra_resolve(r, request, strlen(request), &buf, ERR));
    free(request);

    /* Empty texts: an empty agent id is refused; the other texts are
     * looked up or accepted like any other. */
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, "", "goal", id, ERR));
    EXPECT_STATUS(CRA_ERR_IO, cra_load_atlas_file(r, "", ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_unload_atlas(r, "", ERR));
    char empty_goal[CRA_ID_BUF_LEN];
    EXPECT_ONCE(CRA_OK, cra_session_begin(r, AGENT, "", empty_goal, ERR));
    EXPECT_ONCE(CRA_OK, cra_session_end(r, empty_goal, "", ERR));

    /* Limits: ids 256 bytes, texts 64 KiB (cra.h); 10 MB texts are refused
     * without being read to the end. */
    char *id_256 = repeat("a", 256, ""), *id_257 = repeat("a", 257, "");
    char *text_64k = repeat("g", 64 * KIB, ""), *text_64k1 = repeat("g", 64 * KIB + 1, "");
    char ok_id[CRA_ID_BUF_LEN];
    EXPECT_ONCE(CRA_OK, cra_session_begin(r, id_256, text_64k, ok_id, ERR));
    EXPECT_ONCE(CRA_OK, cra_session_end(r, ok_id, text_64k, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, id_257, "goal", id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, AGENT, text_64k1, id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, huge, "goal", id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin(r, AGENT, huge, id, ERR));
    EXPECT_STATUS(A, cra_session_end(r, sid, text_64k1, ERR));
    EXPECT_STATUS(A, cra_session_end(r, sid, huge, ERR));
    EXPECT_STATUS(A, cra_session_end(r, huge, "reason", ERR));
    EXPECT_STATUS(A, cra_load_atlas_file(r, huge, ERR));
    EXPECT_STATUS(A, cra_unload_atlas(r, id_257, ERR));
    EXPECT_STATUS(A, cra_unload_atlas(r, huge, ERR));
    EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(r, huge, &ready, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_get_trace(r, huge, CRA_TRACE_WAIT, 0, &buf, ERR));
    EXPECT_UNTOUCHED(A, report, cra_verify_chain(r, huge, &report, ERR));
    EXPECT_STATUS(A, cra_session_resume(r, sid, text_64k1, ERR));
    EXPECT_STATUS(A, cra_session_resume(r, sid, huge, ERR));
    EXPECT_STATUS(A, cra_session_resume(r, huge, "reason", ERR));
    EXPECT_STATUS(A, cra_await_trace_durable(r, huge, 0, ERR));
    cra_head head;
    EXPECT_UNTOUCHED(A, head, cra_session_head(r, huge, &head, ERR));
    /* A store URL over 4 KiB, however it would be read. */
    cra_resolver *out;
    char *long_url = repeat("/a", 4 * KIB, ".db");
    memcpy(long_url, "sqlite:", 7);
    EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, long_url, &out, ERR));
    EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, huge, &out, ERR));
    free(long_url);
    free(id_256);
    free(id_257);
    free(text_64k);
    free(text_64k1);
}

static void json_inputs(cra_resolver *r, const char *sid)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    cra_buf buf;
    cra_verify_report report;

    /* Not JSON at all. */
    static const char *const NOT_JSON[] = {"", "{", "}", "nul", "{\"a\":NaN}", "{\"a\":Infinity}",
                                           "{\"a\":1,}", "{} {}", "\"unterminated", "{'a':1}"};
    for (size_t i = 0; i < COUNT(NOT_JSON); i++) {
        const char *text = NOT_JSON[i];
        EXPECT_STATUS(CRA_ERR_INVALID_JSON, cra_load_atlas(r, text, strlen(text), ERR));
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_JSON, buf, cra_resolve(r, text, strlen(text), &buf, ERR));
        /* A verifier reports a line that is not an event as a malformed chain. */
        poison(&report, sizeof report);
        EXPECT_STATUS(text[0] ? CRA_ERR_CHAIN_INVALID : CRA_OK, cra_verify_jsonl(text, strlen(text), &report, ERR));
        CHECK(text[0] ? report.failure == CRA_CHAIN_MALFORMED && report.first_bad_index == 0
                      : report.failure == CRA_CHAIN_VALID && report.events == 0 && report.first_bad_index == -1);
    }
    /* A NUL byte counted in len is not JSON either. */
    EXPECT_STATUS(CRA_ERR_INVALID_JSON, cra_load_atlas(r, "{}\0", 3, ERR));

    /* Valid JSON that is not an atlas or a request. */
    static const char *const NOT_A_DOCUMENT[] = {"null", "[]", "1", "\"atlas\"", "{}", "{\"atlas_version\":\"1.0\"}"};
    for (size_t i = 0; i < COUNT(NOT_A_DOCUMENT); i++) {
        const char *text = NOT_A_DOCUMENT[i];
        EXPECT_STATUS(CRA_ERR_INVALID_ATLAS, cra_load_atlas(r, text, strlen(text), ERR));
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_resolve(r, text, strlen(text), &buf, ERR));
    }

    /* 10 000-deep nesting: refused (never a stack overflow). An atlas is
     * kept, so nesting beyond serde_json's limit is invalid JSON there; a
     * request is only read, so it is simply not a request. */
    char *arrays = nested_arrays(10000), *objects = nested_objects(10000);
    EXPECT_STATUS(CRA_ERR_INVALID_JSON, cra_load_atlas(r, arrays, strlen(arrays), ERR));
    EXPECT_STATUS(CRA_ERR_INVALID_JSON, cra_load_atlas(r, objects, strlen(objects), ERR));
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_resolve(r, arrays, strlen(arrays), &buf, ERR));
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_resolve(r, objects, strlen(objects), &buf, ERR));
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf,
                     cra_resolve(r, arrays, strlen(arrays), &buf, ERR)); /* twice: nothing changed */
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl(arrays, strlen(arrays), &report, ERR));
    CHECK(report.failure == CRA_CHAIN_MALFORMED && report.first_bad_index == 0);
    /* Deep nesting in a member the resolver ignores (context) is harmless. */
    char *deep_context = request_with((struct request_fields){.session_id = sid, .request_id = "req-deep", .context = arrays});
    cra_buf resolution = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_resolve(r, deep_context, strlen(deep_context), &resolution, ERR));
    cra_buf_free(&resolution);
    free(deep_context);
    free(arrays);
    free(objects);

    /* 10 MB strings: inside an atlas (over the 64 KiB text limit), a
     * request (over its 1 MiB limit), a trace line (not an event). */
    char *big_atlas = malloc(strlen(huge) + 200);
    sprintf(big_atlas, "{\"atlas_version\":\"1.0\",\"atlas_id\":\"com.example.big\",\"version\":\"1.0.0\","
                       "\"name\":\"Big\",\"description\":\"%s\"}", huge);
    EXPECT_STATUS(CRA_ERR_INVALID_ATLAS, cra_load_atlas(r, big_atlas, strlen(big_atlas), ERR));
    free(big_atlas);
    char *big_request = request_with((struct request_fields){.session_id = sid, .goal = huge});
    EXPECT_UNTOUCHED(A, buf, cra_resolve(r, big_request, strlen(big_request), &buf, ERR));
    free(big_request);
    char *big_string_line = malloc(strlen(huge) + 3);
    sprintf(big_string_line, "\"%s\"", huge);
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl(big_string_line, strlen(big_string_line), &report, ERR));
    CHECK(report.failure == CRA_CHAIN_MALFORMED);
    free(big_string_line);

    /* Just over each document limit (16 MiB atlas, 1 MiB request, 1 GiB
     * JSONL): refused by length alone. The 1 GiB mapping is never touched,
     * so it costs no memory. */
    char *atlas_16m = repeat(" ", 16 * MIB + 1, "");
    EXPECT_STATUS(A, cra_load_atlas(r, atlas_16m, 16 * MIB + 1, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_resolve(r, atlas_16m, MIB + 1, &buf, ERR));
    free(atlas_16m);
    size_t gib = (size_t)1 << 30;
    void *mapping = mmap(NULL, gib + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(mapping != MAP_FAILED);
    if (mapping != MAP_FAILED) {
        EXPECT_UNTOUCHED(A, report, cra_verify_jsonl(mapping, gib + 1, &report, ERR));
        munmap(mapping, gib + 1);
    }
}

static void session_ids(cra_resolver *r)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    bool ready;
    cra_buf buf;
    cra_verify_report report;
    cra_head head;
    for (size_t i = 0; i < COUNT(MALFORMED_SESSIONS); i++) {
        const char *bad = MALFORMED_SESSIONS[i];
        EXPECT_STATUS(A, cra_session_end(r, bad, "reason", ERR));
        EXPECT_UNTOUCHED(A, ready, cra_is_trace_ready(r, bad, &ready, ERR));
        EXPECT_STATUS(A, cra_await_trace_ready(r, bad, 0, ERR));
        EXPECT_UNTOUCHED(A, buf, cra_get_trace(r, bad, CRA_TRACE_WAIT, 0, &buf, ERR));
        EXPECT_UNTOUCHED(A, report, cra_verify_chain(r, bad, &report, ERR));
        EXPECT_STATUS(A, cra_await_trace_durable(r, bad, 0, ERR));
        EXPECT_STATUS(A, cra_session_resume(r, bad, "reason", ERR));
        EXPECT_UNTOUCHED(A, head, cra_session_head(r, bad, &head, ERR));
    }
    const char *const unknown[] = {UNKNOWN_SESSION, NIL_SESSION};
    for (size_t i = 0; i < COUNT(unknown); i++) {
        const cra_status N = CRA_ERR_NOT_FOUND;
        EXPECT_STATUS(N, cra_session_end(r, unknown[i], "reason", ERR));
        EXPECT_UNTOUCHED(N, ready, cra_is_trace_ready(r, unknown[i], &ready, ERR));
        EXPECT_STATUS(N, cra_await_trace_ready(r, unknown[i], 0, ERR));
        EXPECT_UNTOUCHED(N, buf, cra_get_trace(r, unknown[i], CRA_TRACE_WAIT, 0, &buf, ERR));
        EXPECT_UNTOUCHED(N, buf, cra_get_trace(r, unknown[i], CRA_TRACE_PARTIAL, 0, &buf, ERR));
        EXPECT_UNTOUCHED(N, report, cra_verify_chain(r, unknown[i], &report, ERR));
        EXPECT_STATUS(N, cra_await_trace_durable(r, unknown[i], 0, ERR));
        EXPECT_STATUS(N, cra_session_resume(r, unknown[i], "reason", ERR)); /* and a memory store */
        EXPECT_UNTOUCHED(N, head, cra_session_head(r, unknown[i], &head, ERR));
    }
}

static void flags(cra_resolver *r, const char *sid)
{
    cra_buf buf;
    const uint32_t unknown[] = {2, 3, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < COUNT(unknown); i++)
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_ARGUMENT, buf, cra_get_trace(r, sid, unknown[i], 0, &buf, ERR));
}

/* The resolver's own rules: each failure is reported and records nothing. */
static void resolver_rules(cra_resolver *r)
{
    char sid[CRA_ID_BUF_LEN];
    begin(r, sid);
    cra_buf buf;
    cra_buf resolution = {NULL, 0};

    /* Atlases: the same one again, a new one reusing an action id, broken ones. */
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_load_atlas_file(r, CRA_EXAMPLES_DATA_DIR "/billing.atlas.json", ERR));
    static const char CLASH[] =
        "{\"atlas_version\":\"1.0\",\"atlas_id\":\"com.example.clash\",\"version\":\"1.0.0\",\"name\":\"n\","
        "\"description\":\"d\",\"actions\":[{\"action_id\":\"billing.invoice.read\",\"name\":\"n\",\"description\":\"d\"}]}";
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_load_atlas(r, CLASH, strlen(CLASH), ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_unload_atlas(r, "com.example.clash", ERR)); /* nothing half-loaded */
    static const char BAD_PATTERN[] =
        "{\"atlas_version\":\"1.0\",\"atlas_id\":\"com.example.bad\",\"version\":\"1.0.0\",\"name\":\"n\","
        "\"description\":\"d\",\"policies\":[{\"policy_id\":\"p\",\"type\":\"allow\",\"actions\":[\"*foo\"]}]}";
    EXPECT_STATUS(CRA_ERR_INVALID_ATLAS, cra_load_atlas(r, BAD_PATTERN, strlen(BAD_PATTERN), ERR));
    static const char FILES_IN_STRING[] =
        "{\"atlas_version\":\"1.0\",\"atlas_id\":\"com.example.files\",\"version\":\"1.0.0\",\"name\":\"n\","
        "\"description\":\"d\",\"context_packs\":[{\"pack_id\":\"p\",\"name\":\"n\",\"priority\":1,\"files\":[\"x.md\"]}]}";
    EXPECT_STATUS(CRA_ERR_INVALID_ATLAS, cra_load_atlas(r, FILES_IN_STRING, strlen(FILES_IN_STRING), ERR));
    EXPECT_STATUS(CRA_ERR_IO, cra_load_atlas_file(r, "/nonexistent/atlas.json", ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_unload_atlas(r, "com.example.unknown", ERR));

    /* Requests that break a rule. */
    struct {
        cra_status expected;
        struct request_fields fields;
    } const broken[] = {
        {CRA_ERR_PERMISSION, {.session_id = sid, .agent_id = "intruder"}},
        {CRA_ERR_NOT_FOUND, {.session_id = UNKNOWN_SESSION}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = "not-a-session"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .version = "2.0"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .timestamp = "2000-01-01T00:00:00Z"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .timestamp = "yesterday"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .goal = " "}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .request_id = ""}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .atlas_ids = "\"com.example.billing\""}},
        {CRA_ERR_NOT_FOUND, {.session_id = sid, .atlas_ids = "[\"com.example.unknown\"]"}},
        {CRA_ERR_NOT_FOUND, {.session_id = sid, .capabilities = "[\"time-travel\"]"}},
    };
    for (size_t i = 0; i < COUNT(broken); i++) {
        char *request = request_with(broken[i].fields);
        EXPECT_UNTOUCHED(broken[i].expected, buf, cra_resolve(r, request, strlen(request), &buf, ERR));
        free(request);
    }
    CHECK(stored_events(r, sid) == 1); /* only session.started */

    /* A request id is used once per session. */
    char *request = request_with((struct request_fields){.session_id = sid, .request_id = "req-once"});
    EXPECT_ONCE(CRA_OK, cra_resolve(r, request, strlen(request), &resolution, ERR));
    CHECK(resolution.data != NULL && resolution.data[resolution.len] == '\0' &&
          strstr(resolution.data, "\"request_id\":\"req-once\"") != NULL);
    cra_buf_free(&resolution);
    uint64_t after_one = stored_events(r, sid);
    EXPECT_UNTOUCHED(CRA_ERR_CONFLICT, buf, cra_resolve(r, request, strlen(request), &buf, ERR));
    CHECK(stored_events(r, sid) == after_one);

    /* An ended session takes no more requests and cannot end again. */
    EXPECT_ONCE(CRA_OK, cra_session_end(r, sid, "done", ERR));
    EXPECT_STATUS(CRA_ERR_SESSION_ENDED, cra_session_end(r, sid, "again", ERR));
    free(request);
    request = request_with((struct request_fields){.session_id = sid, .request_id = "req-late"});
    EXPECT_UNTOUCHED(CRA_ERR_SESSION_ENDED, buf, cra_resolve(r, request, strlen(request), &buf, ERR));
    free(request);
    CHECK(stored_events(r, sid) == after_one + 1); /* + session.ended */

    /* In immediate mode the processor hold does nothing. */
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, true, ERR));
    EXPECT_ONCE(CRA_OK, cra_flush_traces(r, 0, ERR));
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, false, ERR));
}

static double milliseconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Deferred mode with the processor held: a full buffer, sync points that
 * time out, a partial trace; then, released, everything verifies. */
static void deferred(void)
{
    cra_config config;
    cra_config_init(&config);
    config.trace_mode = CRA_TRACE_DEFERRED;
    config.buffer_capacity = 16;
    cra_resolver *r = new_resolver(&config);
    load_billing(r);
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, true, ERR));

    char sid[CRA_ID_BUF_LEN];
    begin(r, sid);
    char *first = shipped_request(sid, "req-1");
    char *second = shipped_request(sid, "req-2");
    cra_buf resolution = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_resolve(r, first, strlen(first), &resolution, ERR));
    cra_buf_free(&resolution);
    cra_stats stats;
    EXPECT_ONCE(CRA_OK, cra_stats_get(r, &stats, ERR));
    uint64_t per_resolve = stats.events_emitted - 1; /* minus session.started */
    CHECK(stats.queue_depth == stats.events_emitted && stats.events_processed == 0);
    CHECK(1 + 2 * per_resolve > 16); /* so a second resolve cannot fit */

    /* Full: refused, nothing recorded, no decision. */
    cra_buf buf;
    EXPECT_UNTOUCHED(CRA_ERR_BACKPRESSURE, buf, cra_resolve(r, second, strlen(second), &buf, ERR));
    CHECK(cra_stats_get(r, &stats, NULL) == CRA_OK); /* success with err NULL */
    CHECK(stats.events_emitted == 1 + per_resolve && stats.events_rejected >= per_resolve);
    CHECK(stats.queue_capacity == 16 && stats.queue_depth == 1 + per_resolve && stats.sessions_active == 1);

    /* Nothing is stored while held: sync points time out. */
    bool ready = true;
    EXPECT_ONCE(CRA_OK, cra_is_trace_ready(r, sid, &ready, ERR));
    CHECK(!ready);
    EXPECT_STATUS(CRA_ERR_TIMEOUT, cra_await_trace_ready(r, sid, 0, ERR));
    EXPECT_STATUS(CRA_ERR_TIMEOUT, cra_await_trace_ready(r, sid, 20, ERR));
    EXPECT_STATUS(CRA_ERR_TIMEOUT, cra_flush_traces(r, 20, ERR));
    EXPECT_UNTOUCHED(CRA_ERR_TIMEOUT, buf, cra_get_trace(r, sid, CRA_TRACE_WAIT, 20, &buf, ERR));

    /* PARTIAL returns what is stored (nothing yet) at once; verify_chain
     * checks that and counts the rest as pending. */
    cra_buf partial = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, sid, CRA_TRACE_PARTIAL, 0, &partial, ERR));
    cra_verify_report report;
    EXPECT_ONCE(CRA_OK, cra_verify_jsonl(partial.data, partial.len, &report, ERR));
    CHECK(report.events == 0);
    cra_buf_free(&partial);
    EXPECT_ONCE(CRA_OK, cra_verify_chain(r, sid, &report, ERR));
    CHECK(report.events == 0 && report.pending == 1 + per_resolve && report.first_bad_index == -1);

    /* Released: the wait succeeds, and the refused request can be sent
     * again with the same id, since nothing of it was recorded. */
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, false, ERR));
    EXPECT_ONCE(CRA_OK, cra_await_trace_ready(r, sid, 10000, ERR));
    EXPECT_ONCE(CRA_OK, cra_is_trace_ready(r, sid, &ready, ERR));
    CHECK(ready);
    EXPECT_ONCE(CRA_OK, cra_resolve(r, second, strlen(second), &resolution, ERR));
    cra_buf_free(&resolution);
    EXPECT_ONCE(CRA_OK, cra_session_end(r, sid, "done", ERR));
    cra_buf trace = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, sid, CRA_TRACE_WAIT, 10000, &trace, ERR));
    EXPECT_ONCE(CRA_OK, cra_verify_jsonl(trace.data, trace.len, &report, ERR));
    CHECK(report.events == 2 + 2 * per_resolve && report.head_hash[64] == '\0' && strlen(report.head_hash) == 64);
    cra_verify_report in_resolver;
    EXPECT_ONCE(CRA_OK, cra_verify_chain(r, sid, &in_resolver, ERR));
    CHECK(in_resolver.events == report.events && in_resolver.pending == 0 &&
          strcmp(in_resolver.head_hash, report.head_hash) == 0);
    cra_buf_free(&trace);
    EXPECT_ONCE(CRA_OK, cra_flush_traces(r, 10000, ERR));
    EXPECT_ONCE(CRA_OK, cra_stats_get(r, &stats, ERR));
    CHECK(stats.events_emitted == stats.events_processed && stats.queue_depth == 0 &&
          stats.queue_high_water <= 16 && stats.sessions_active == 0);
    free(first);
    free(second);

    /* Freeing a held resolver drains it (the hold is released). */
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, true, ERR));
    begin(r, sid);
    cra_resolver_free(r);

    /* CRA_BACKPRESSURE_BLOCK waits block_timeout_ms for room, then refuses. */
    config.backpressure = CRA_BACKPRESSURE_BLOCK;
    config.block_timeout_ms = 50;
    r = new_resolver(&config);
    load_billing(r);
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, true, ERR));
    begin(r, sid);
    first = shipped_request(sid, "req-1");
    second = shipped_request(sid, "req-2");
    EXPECT_ONCE(CRA_OK, cra_resolve(r, first, strlen(first), &resolution, ERR));
    cra_buf_free(&resolution);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    poison(&buf, sizeof buf);
    EXPECT_ONCE(CRA_ERR_BACKPRESSURE, cra_resolve(r, second, strlen(second), &buf, ERR));
    CHECK(untouched(&buf, sizeof buf));
    CHECK(milliseconds_since(&start) >= 45.0);
    free(first);
    free(second);
    cra_resolver_free(r);
}

static bool file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

/* Store URLs that are refused before any file is touched; %s is a path in
 * the test's folder (where nothing may appear). */
static const char *const BAD_STORE_URLS[] = {
    "",                                      /* replaced below: see stores() */
    "%s",                                    /* a bare path is not a URL */
    "file:%s",                               /* unknown schemes */
    "SQLITE:%s",
    " sqlite:%s",
    "Memory:",
    "memory:x",
    "memory:?sync=full",
    "postgres:",
    "sqlite",
    "sqlite:",                               /* no path */
    "sqlite:?sync=full",
    "sqlite:%s?colour=red",                  /* unknown parameters */
    "sqlite:%s?SYNC=full",
    "sqlite:%s?sync=sometimes",              /* bad values */
    "sqlite:%s?sync=FULL",
    "sqlite:%s?sync=",
    "sqlite:%s?sync",
    "sqlite:%s?max_waiting_mb=0",
    "sqlite:%s?max_waiting_mb=65537",
    "sqlite:%s?max_waiting_mb=-1",
    "sqlite:%s?max_waiting_mb=1e3",
    "sqlite:%s?max_waiting_mb=",
    "sqlite:%s?sync=full&max_waiting_mb=many",
};

/* A head for cra_verify_jsonl_head: `events` and 64 characters of `hash`. */
static cra_head head_of(uint64_t events, const char *hash)
{
    cra_head head;
    memset(&head, 0, sizeof head);
    head.events = events;
    memcpy(head.head_hash, hash, 64);
    return head;
}

/* Durable stores: URLs refused before any file is touched, files that
 * cannot be stores, one resolver per file, and heads (session heads,
 * cra_verify_jsonl_head's checks of them). In a new folder under /tmp,
 * removed at the end. */
static void stores(void)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    char folder[] = "/tmp/cra-bad-input-XXXXXX";
    if (mkdtemp(folder) == NULL) {
        fail(__LINE__, "mkdtemp: cannot create a folder in /tmp");
        return;
    }
    char path[128], url[160], text[128], missing[160], alias[160], bad[256];
    snprintf(path, sizeof path, "%s/trace.db", folder);
    snprintf(url, sizeof url, "sqlite:%s", path);
    snprintf(alias, sizeof alias, "sqlite:%s/./trace.db?sync=full", folder); /* the same file */
    snprintf(missing, sizeof missing, "sqlite:%s/missing/trace.db", folder);
    snprintf(text, sizeof text, "%s/notes.txt", folder);
    cra_resolver *out;

    for (size_t i = 1; i < COUNT(BAD_STORE_URLS); i++) {
        snprintf(bad, sizeof bad, BAD_STORE_URLS[i], path);
        size_t before = failures;
        EXPECT_UNTOUCHED(A, out, cra_resolver_open(NULL, bad, &out, ERR));
        if (failures != before)
            fprintf(stderr, "    (store URL '%s')\n", bad);
    }
    CHECK(!file_exists(path));

    /* Files that cannot be opened as a store: CRA_ERR_IO, nothing created. */
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, missing, &out, ERR));
    snprintf(bad, sizeof bad, "%s/missing", folder);
    CHECK(!file_exists(bad));
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, "postgres://localhost/trace", &out, ERR));
    CHECK(write_file(text, "not a database\n", 15));
    snprintf(bad, sizeof bad, "sqlite:%s", text);
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, bad, &out, ERR));
    snprintf(bad, sizeof bad, "sqlite:%s", folder); /* a folder */
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, bad, &out, ERR));

    /* One resolver per file, by any name; free it and the file is free. */
    cra_resolver *r = NULL;
    EXPECT_ONCE(CRA_OK, cra_resolver_open(NULL, url, &r, ERR));
    CHECK(r != NULL && file_exists(path));
    if (r == NULL)
        goto cleanup;
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, url, &out, ERR));
    EXPECT_UNTOUCHED(CRA_ERR_IO, out, cra_resolver_open(NULL, alias, &out, ERR));

    /* A session ended and committed: it keeps a head and stays readable. */
    char sid[CRA_ID_BUF_LEN], open_sid[CRA_ID_BUF_LEN];
    begin(r, sid);
    begin(r, open_sid);
    EXPECT_ONCE(CRA_OK, cra_session_end(r, sid, "done", ERR));
    EXPECT_STATUS(CRA_OK, cra_await_trace_durable(r, sid, 10000, ERR));
    EXPECT_STATUS(CRA_OK, cra_await_trace_durable(r, NULL, 10000, ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_await_trace_durable(r, UNKNOWN_SESSION, 0, ERR));
    cra_store_stats store_stats;
    EXPECT_STATUS(CRA_OK, cra_store_stats_get(r, &store_stats, ERR));
    CHECK(store_stats.events_durable == 3 && store_stats.events_waiting == 0 && store_stats.commits >= 1 &&
          store_stats.write_errors == 0);
    cra_head head, open_head;
    poison(&head, sizeof head);
    EXPECT_STATUS(CRA_OK, cra_session_head(r, sid, &head, ERR));
    CHECK(head.events == 2 && head.head_hash[64] == '\0' && strlen(head.head_hash) == 64 &&
          strspn(head.head_hash, "0123456789abcdef") == 64);
    EXPECT_STATUS(CRA_OK, cra_session_head(r, open_sid, &open_head, ERR));
    CHECK(open_head.events == 1);
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_session_head(r, UNKNOWN_SESSION, &open_head, ERR));
    CHECK(open_head.events == 1); /* untouched */

    /* Resume: not for a session open here, nor an ended one; a failed
     * resume records nothing. */
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_session_resume(r, open_sid, "again", ERR));
    EXPECT_STATUS(CRA_ERR_SESSION_ENDED, cra_session_resume(r, sid, "again", ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_session_resume(r, UNKNOWN_SESSION, "again", ERR));
    CHECK(stored_events(r, sid) == 2 && stored_events(r, open_sid) == 1);

    cra_buf trace = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, sid, CRA_TRACE_WAIT, 5000, &trace, ERR));
    cra_verify_report report;
    EXPECT_STATUS(CRA_OK, cra_verify_jsonl_head(trace.data, trace.len, &head, &report, ERR));
    CHECK(report.events == 2 && strcmp(report.head_hash, head.head_hash) == 0);

    /* Head hashes that are not 64 lowercase hex digits and a NUL. */
    char hash[65];
    memcpy(hash, head.head_hash, sizeof hash);
    cra_head bad_heads[6];
    bad_heads[0] = head_of(2, hash);
    bad_heads[0].head_hash[5] = 'g';                 /* not hex */
    bad_heads[1] = head_of(2, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"); /* upper case */
    bad_heads[2] = head_of(2, hash);
    bad_heads[2].head_hash[64] = '0';                /* no NUL at [64] */
    bad_heads[3] = head_of(2, hash);
    bad_heads[3].head_hash[63] = '\0';               /* 63 digits */
    bad_heads[4] = head_of(2, hash);
    memset(bad_heads[4].head_hash, 0, 65);           /* empty, as cra_verify_report says "none" */
    bad_heads[5] = head_of(2, hash);
    bad_heads[5].head_hash[0] = ' ';
    for (size_t i = 0; i < COUNT(bad_heads); i++) {
        size_t before = failures;
        EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head(trace.data, trace.len, &bad_heads[i], &report, ERR));
        if (failures != before)
            fprintf(stderr, "    (bad head %zu)\n", i);
    }
    /* The head is checked before the text is read: a bad head and bad text. */
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head("\xff", 1, &bad_heads[1], &report, ERR));

    /* Chains held against a head: cut off, another hash, grown, empty. */
    cra_head later = head;
    later.events = 3;
    poison(&report, sizeof report);
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl_head(trace.data, trace.len, &later, &report, ERR));
    CHECK(report.failure == CRA_CHAIN_TRUNCATED && report.events == 2 && report.first_bad_index == 2);
    cra_head other = head;
    other.head_hash[0] = other.head_hash[0] == '0' ? '1' : '0';
    poison(&report, sizeof report);
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl_head(trace.data, trace.len, &other, &report, ERR));
    CHECK(report.failure == CRA_CHAIN_HEAD_MISMATCH && report.first_bad_index == 1);
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl_head(trace.data, trace.len, &open_head, &report, ERR));
    CHECK(report.failure == CRA_CHAIN_HEAD_MISMATCH && report.first_bad_index == 0);
    cra_head none = head_of(0, "0000000000000000000000000000000000000000000000000000000000000000");
    EXPECT_STATUS(CRA_OK, cra_verify_jsonl_head(trace.data, trace.len, &none, &report, ERR)); /* grew from nothing */
    EXPECT_STATUS(CRA_OK, cra_verify_jsonl_head("", 0, &none, &report, ERR));
    CHECK(report.events == 0);
    poison(&report, sizeof report);
    EXPECT_STATUS(CRA_ERR_CHAIN_INVALID, cra_verify_jsonl_head("", 0, &head, &report, ERR));
    CHECK(report.failure == CRA_CHAIN_TRUNCATED && report.events == 0 && report.first_bad_index == 0);

    /* Two sessions in one text: refused, there is one head. */
    cra_buf open_trace = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, open_sid, CRA_TRACE_WAIT, 5000, &open_trace, ERR));
    size_t both_len = trace.len + open_trace.len;
    char *both = malloc(both_len + 1);
    memcpy(both, trace.data, trace.len);
    memcpy(both + trace.len, open_trace.data, open_trace.len + 1);
    EXPECT_UNTOUCHED(A, report, cra_verify_jsonl_head(both, both_len, &head, &report, ERR));
    free(both);
    cra_buf_free(&open_trace);
    cra_buf_free(&trace);

    /* Freed, the file takes a new resolver (by its other name), with every
     * session: the ended one readable, the open one resumable once. */
    cra_resolver_free(r);
    r = NULL;
    EXPECT_ONCE(CRA_OK, cra_resolver_open(NULL, alias, &r, ERR));
    if (r == NULL)
        goto cleanup;
    cra_head reread;
    EXPECT_STATUS(CRA_OK, cra_session_head(r, sid, &reread, ERR));
    CHECK(reread.events == head.events && strcmp(reread.head_hash, head.head_hash) == 0);
    EXPECT_STATUS(CRA_OK, cra_verify_chain(r, sid, &report, ERR));
    CHECK(report.events == 2);
    EXPECT_STATUS(CRA_ERR_SESSION_ENDED, cra_session_resume(r, sid, "again", ERR));
    EXPECT_ONCE(CRA_OK, cra_session_resume(r, open_sid, "restarted", ERR));
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_session_resume(r, open_sid, "restarted", ERR));
    CHECK(stored_events(r, open_sid) == 2);
    EXPECT_ONCE(CRA_OK, cra_session_end(r, open_sid, "done", ERR));
    EXPECT_STATUS(CRA_OK, cra_await_trace_durable(r, NULL, 10000, ERR));
    cra_resolver_free(r);

cleanup:
    /* The store's files; SQLite removes its -wal and -shm on a clean close. */
    remove(path);
    snprintf(bad, sizeof bad, "%s-wal", path);
    remove(bad);
    snprintf(bad, sizeof bad, "%s-shm", path);
    remove(bad);
    remove(text);
    if (rmdir(folder) != 0)
        fprintf(stderr, "bad_input: warning: %s is not empty; left in place\n", folder);
}

/* ------------------------------------------------------------------------
 * Action checks, approvals and reports (CARP.md "Checking an action before
 * running it") on examples/data/ops.atlas.json, in a resolver of their own:
 * a refund with a schema and an approval, an export with a rate limit.
 * --------------------------------------------------------------------- */

/* A check_action or report_action request with any field changed (NULL
 * fields keep a default; `rest` is the JSON members after the common ones). */
struct action_fields {
    const char *version, *operation, *request_id, *timestamp, *agent_id, *session_id;
    const char *rest;
};

static char *action_request(struct action_fields f)
{
    static const char TEMPLATE[] =
        "{\"carp_version\":\"{{VERSION}}\",\"operation\":\"{{OPERATION}}\",\"request_id\":\"{{REQUEST_ID}}\","
        "\"timestamp\":\"{{TIMESTAMP}}\",\"requester\":{\"agent_id\":\"{{AGENT_ID}}\",\"session_id\":\"{{SESSION_ID}}\"},"
        "{{REST}}}";
    char now[RFC3339_LEN];
    rfc3339_now(now);
    const struct template_value values[] = {
        {"VERSION", f.version ? f.version : "1.0"},
        {"OPERATION", f.operation ? f.operation : "check_action"},
        {"REQUEST_ID", f.request_id ? f.request_id : "req-x"},
        {"TIMESTAMP", f.timestamp ? f.timestamp : now},
        {"AGENT_ID", f.agent_id ? f.agent_id : AGENT},
        {"SESSION_ID", f.session_id ? f.session_id : UNKNOWN_SESSION},
        {"REST", f.rest ? f.rest : "\"resolution_id\":\"x\",\"action_id\":\"report.export\",\"parameters\":{}"},
    };
    char *request = template_fill(TEMPLATE, values, COUNT(values));
    if (request == NULL)
        exit(2);
    return request;
}

/* The members after the common ones: of a check, of a report. */
static char *check_rest(const char *resolution_id, const char *action_id, const char *parameters)
{
    char *rest = malloc(strlen(parameters) + 200);
    sprintf(rest, "\"resolution_id\":\"%s\",\"action_id\":\"%s\",\"parameters\":%s", resolution_id, action_id,
            parameters);
    return rest;
}

static char *report_rest(const char *execution_id, const char *outcome)
{
    char *rest = malloc(strlen(outcome) + 100);
    sprintf(rest, "\"execution_id\":\"%s\",%s", execution_id, outcome);
    return rest;
}

/* The text of the string member `"key":"..."` of libcra's compact JSON. */
static void member_text(const char *json, const char *key, char *out, size_t size)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    out[0] = '\0';
    const char *at = json ? strstr(json, pattern) : NULL;
    if (at == NULL)
        return;
    at += strlen(pattern);
    size_t len = strcspn(at, "\"");
    if (len >= size)
        len = size - 1;
    memcpy(out, at, len);
    out[len] = '\0';
}

static const char EXECUTED[] = "\"status\":\"executed\",\"duration_ms\":5";

static void action_checks(void)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    cra_resolver *r = new_resolver(NULL);
    EXPECT_ONCE(CRA_OK, cra_load_atlas_file(r, CRA_EXAMPLES_DATA_DIR "/ops.atlas.json", ERR));
    char sid[CRA_ID_BUF_LEN];
    EXPECT_ONCE(CRA_OK, cra_session_begin(r, AGENT, "Refund and export", sid, ERR));

    /* A resolution that needs an approval. */
    char *resolve = action_request((struct action_fields){
        .operation = "resolve", .session_id = sid, .request_id = "req-resolve",
        .rest = "\"task\":{\"goal\":\"Refund and export\",\"risk_tier\":\"low\"}"});
    cra_buf resolution = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_resolve(r, resolve, strlen(resolve), &resolution, ERR));
    free(resolve);
    char rid[CRA_ID_BUF_LEN], aid[CRA_ID_BUF_LEN];
    member_text(resolution.data, "resolution_id", rid, sizeof rid);
    member_text(resolution.data, "approval_id", aid, sizeof aid);
    cra_buf_free(&resolution);
    CHECK(strlen(rid) == 36 && strlen(aid) == 36);

    /* Well-formed requests of this session, to break one way at a time. */
    char *export_rest = check_rest(rid, "report.export", "{}");
    char *check = action_request((struct action_fields){.session_id = sid, .request_id = "req-check", .rest = export_rest});
    size_t check_len = strlen(check);
    char *unknown_execution = report_rest(UNKNOWN_SESSION, EXECUTED); /* a UUID no check issued */
    char *report = action_request((struct action_fields){
        .operation = "report_action", .session_id = sid, .request_id = "req-report", .rest = unknown_execution});
    size_t report_len = strlen(report);
    cra_buf buf;
    const uint64_t events = stored_events(r, sid);

    /* NULL pointers; a NULL reason is "no reason", not an error. */
    EXPECT_UNTOUCHED(A, buf, cra_check_action(NULL, check, check_len, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, NULL, check_len, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, NULL, 0, &buf, ERR));
    EXPECT_STATUS(A, cra_check_action(r, check, check_len, NULL, ERR));
    EXPECT_STATUS(A, cra_check_action(r, "not json", 8, NULL, ERR)); /* arguments first */
    EXPECT_STATUS(A, cra_answer_approval(NULL, sid, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, NULL, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, NULL, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, NULL, "reason", ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, UNKNOWN_SESSION, aid, true, NULL, NULL, ERR)); /* arguments first */
    EXPECT_STATUS(A, cra_report_action(NULL, report, report_len, ERR));
    EXPECT_STATUS(A, cra_report_action(r, NULL, report_len, ERR));
    EXPECT_STATUS(A, cra_report_action(r, NULL, 0, ERR));

    /* Bad UTF-8 in every text and JSON parameter, and inside valid JSON. */
    for (size_t i = 0; i < COUNT(BAD_UTF8); i++) {
        const char *bad = BAD_UTF8[i];
        EXPECT_UNTOUCHED(A, buf, cra_check_action(r, bad, strlen(bad), &buf, ERR));
        EXPECT_STATUS(A, cra_report_action(r, bad, strlen(bad), ERR));
        EXPECT_STATUS(A, cra_answer_approval(r, bad, aid, true, "lead", NULL, ERR));
        EXPECT_STATUS(A, cra_answer_approval(r, sid, bad, true, "lead", NULL, ERR));
        EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, bad, NULL, ERR));
        EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, false, "lead", bad, ERR));
    }
    char *bad_check = action_request((struct action_fields){.session_id = sid, .request_id = "req-\xc3\x28", .rest = export_rest});
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, bad_check, strlen(bad_check), &buf, ERR));
    free(bad_check);
    char *bad_report = action_request((struct action_fields){
        .operation = "report_action", .session_id = sid, .agent_id = "agent-\xff", .rest = unknown_execution});
    EXPECT_STATUS(A, cra_report_action(r, bad_report, strlen(bad_report), ERR));
    free(bad_report);

    /* Malformed ids: the session's and the approval's; an empty approver. */
    for (size_t i = 0; i < COUNT(MALFORMED_SESSIONS); i++) {
        const char *bad = MALFORMED_SESSIONS[i];
        EXPECT_STATUS(A, cra_answer_approval(r, bad, aid, true, "lead", NULL, ERR));
        EXPECT_STATUS(A, cra_answer_approval(r, sid, bad, true, "lead", NULL, ERR));
    }
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, "", NULL, ERR));

    /* Over-long input: requests over 1 MiB by length alone, ids over 256
     * bytes, a reason over 64 KiB, 10 MB texts. */
    char *over_mib = repeat(" ", MIB + 1, "");
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, over_mib, MIB + 1, &buf, ERR));
    EXPECT_STATUS(A, cra_report_action(r, over_mib, MIB + 1, ERR));
    free(over_mib);
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, huge, strlen(huge), &buf, ERR));
    EXPECT_STATUS(A, cra_report_action(r, huge, strlen(huge), ERR));
    char *id_257 = repeat("a", 257, ""), *text_64k1 = repeat("r", 64 * KIB + 1, "");
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, id_257, NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, huge, NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, id_257, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, huge, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, huge, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, "lead", text_64k1, ERR));
    EXPECT_STATUS(A, cra_answer_approval(r, sid, aid, true, "lead", huge, ERR));
    free(id_257);
    free(text_64k1);
    char *big_parameters = malloc(strlen(huge) + 16);
    sprintf(big_parameters, "{\"a\":\"%s\"}", huge);
    char *big_rest = check_rest(rid, "report.export", big_parameters);
    char *big_check = action_request((struct action_fields){.session_id = sid, .rest = big_rest});
    EXPECT_UNTOUCHED(A, buf, cra_check_action(r, big_check, strlen(big_check), &buf, ERR));
    free(big_check);
    free(big_rest);
    free(big_parameters);

    /* Not JSON, and JSON that is not a check or a report. */
    static const char *const NOT_JSON[] = {"", "{", "}", "nul", "{\"a\":NaN}", "{\"a\":1,}", "{} {}", "{'a':1}"};
    for (size_t i = 0; i < COUNT(NOT_JSON); i++) {
        const char *text = NOT_JSON[i];
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_JSON, buf, cra_check_action(r, text, strlen(text), &buf, ERR));
        EXPECT_STATUS(CRA_ERR_INVALID_JSON, cra_report_action(r, text, strlen(text), ERR));
    }
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_JSON, buf, cra_check_action(r, "{}\0", 3, &buf, ERR));
    static const char *const NOT_A_REQUEST[] = {"null", "[]", "1", "\"check\"", "{}", "{\"carp_version\":\"1.0\"}"};
    for (size_t i = 0; i < COUNT(NOT_A_REQUEST); i++) {
        const char *text = NOT_A_REQUEST[i];
        EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_check_action(r, text, strlen(text), &buf, ERR));
        EXPECT_STATUS(CRA_ERR_INVALID_REQUEST, cra_report_action(r, text, strlen(text), ERR));
    }
    /* The resolve request is not a check, nor a report. */
    char *as_resolve = action_request((struct action_fields){.session_id = sid, .operation = "resolve", .rest = export_rest});
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_check_action(r, as_resolve, strlen(as_resolve), &buf, ERR));
    free(as_resolve);
    char *nested = nested_objects(10000);
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_check_action(r, nested, strlen(nested), &buf, ERR));
    EXPECT_STATUS(CRA_ERR_INVALID_REQUEST, cra_report_action(r, nested, strlen(nested), ERR));
    free(nested);

    /* Checks that break a rule of their own. */
    char *no_parameters = malloc(200), *list_parameters = check_rest(rid, "report.export", "[]");
    char *null_parameters = check_rest(rid, "report.export", "null"), *empty_action = check_rest(rid, "", "{}");
    char *empty_resolution = check_rest("", "report.export", "{}");
    sprintf(no_parameters, "\"resolution_id\":\"%s\",\"action_id\":\"report.export\"", rid);
    struct {
        cra_status expected;
        struct action_fields fields;
    } const broken_checks[] = {
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = no_parameters}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = list_parameters}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = null_parameters}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = empty_action}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = empty_resolution}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = export_rest, .version = "2.0"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = export_rest, .request_id = ""}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = export_rest, .timestamp = "2000-01-01T00:00:00Z"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = export_rest, .timestamp = "yesterday"}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = "not-a-session", .rest = export_rest}},
        {CRA_ERR_INVALID_REQUEST, {.session_id = sid, .rest = export_rest, .operation = "report_action"}},
        {CRA_ERR_NOT_FOUND, {.session_id = UNKNOWN_SESSION, .rest = export_rest}},
        {CRA_ERR_NOT_FOUND, {.session_id = NIL_SESSION, .rest = export_rest}},
        {CRA_ERR_PERMISSION, {.session_id = sid, .rest = export_rest, .agent_id = "intruder"}},
    };
    for (size_t i = 0; i < COUNT(broken_checks); i++) {
        char *request = action_request(broken_checks[i].fields);
        EXPECT_UNTOUCHED(broken_checks[i].expected, buf, cra_check_action(r, request, strlen(request), &buf, ERR));
        free(request);
    }
    free(no_parameters);
    free(list_parameters);
    free(null_parameters);
    free(empty_action);
    free(empty_resolution);

    /* Reports that break a rule of their own. */
    static const char *const BROKEN_OUTCOMES[] = {
        "\"status\":\"done\",\"duration_ms\":5",
        "\"status\":\"executed\"",
        "\"status\":\"executed\",\"duration_ms\":-1",
        "\"status\":\"executed\",\"duration_ms\":\"5\"",
        "\"status\":\"executed\",\"duration_ms\":5,\"error_code\":\"e\"",
        "\"status\":\"failed\",\"duration_ms\":5",
        "\"status\":\"failed\",\"duration_ms\":5,\"error_code\":\"e\"",
        "\"status\":\"failed\",\"duration_ms\":5,\"error_code\":\"\",\"error_message\":\"m\"",
        "\"status\":\"executed\",\"duration_ms\":5,\"result\":7",
        "\"status\":\"executed\",\"duration_ms\":5,\"result\":[]",
    };
    for (size_t i = 0; i < COUNT(BROKEN_OUTCOMES); i++) {
        char *rest = report_rest(UNKNOWN_SESSION, BROKEN_OUTCOMES[i]);
        char *request = action_request((struct action_fields){.operation = "report_action", .session_id = sid, .rest = rest});
        EXPECT_STATUS(CRA_ERR_INVALID_REQUEST, cra_report_action(r, request, strlen(request), ERR));
        free(request);
        free(rest);
    }
    static const char *const BAD_EXECUTION_IDS[] = {"", "x", "01900000-0000-7000-8000-00000000000A"};
    for (size_t i = 0; i < COUNT(BAD_EXECUTION_IDS); i++) {
        char *rest = report_rest(BAD_EXECUTION_IDS[i], EXECUTED);
        char *request = action_request((struct action_fields){.operation = "report_action", .session_id = sid, .rest = rest});
        EXPECT_STATUS(CRA_ERR_INVALID_REQUEST, cra_report_action(r, request, strlen(request), ERR));
        free(request);
        free(rest);
    }
    char *as_check = action_request((struct action_fields){.session_id = sid, .rest = unknown_execution});
    EXPECT_STATUS(CRA_ERR_INVALID_REQUEST, cra_report_action(r, as_check, strlen(as_check), ERR));
    free(as_check);

    /* Unknown sessions, approvals and executions. */
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_answer_approval(r, UNKNOWN_SESSION, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_answer_approval(r, NIL_SESSION, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_answer_approval(r, sid, UNKNOWN_SESSION, true, "lead", NULL, ERR));
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_report_action(r, report, report_len, ERR));
    char *stranger = action_request((struct action_fields){
        .operation = "report_action", .session_id = UNKNOWN_SESSION, .rest = unknown_execution});
    EXPECT_STATUS(CRA_ERR_NOT_FOUND, cra_report_action(r, stranger, strlen(stranger), ERR));
    free(stranger);
    CHECK(stored_events(r, sid) == events); /* none of the above recorded anything */

    /* The real thing: a check (its result NUL-terminated, *err NULL), then
     * its request id again, the approval answered twice, a report twice. */
    cra_buf result = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_check_action(r, check, check_len, &result, ERR));
    CHECK(result.data != NULL && result.data[result.len] == '\0' && strstr(result.data, "\"decision\":\"approved\"") != NULL);
    char eid[CRA_ID_BUF_LEN];
    member_text(result.data, "execution_id", eid, sizeof eid);
    cra_buf_free(&result);
    CHECK(strlen(eid) == 36);
    EXPECT_UNTOUCHED(CRA_ERR_CONFLICT, buf, cra_check_action(r, check, check_len, &buf, ERR));
    EXPECT_ONCE(CRA_OK, cra_answer_approval(r, sid, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_answer_approval(r, sid, aid, true, "lead", NULL, ERR));
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_answer_approval(r, sid, aid, false, "lead", "changed my mind", ERR));
    char *executed_rest = report_rest(eid, EXECUTED);
    char *executed = action_request((struct action_fields){
        .operation = "report_action", .session_id = sid, .request_id = "req-executed", .rest = executed_rest});
    EXPECT_ONCE(CRA_OK, cra_report_action(r, executed, strlen(executed), ERR));
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_report_action(r, executed, strlen(executed), ERR)); /* request id reused */
    char *again = action_request((struct action_fields){
        .operation = "report_action", .session_id = sid, .request_id = "req-again", .rest = executed_rest});
    EXPECT_STATUS(CRA_ERR_CONFLICT, cra_report_action(r, again, strlen(again), ERR)); /* reported already */
    const uint64_t before_end = stored_events(r, sid);

    /* An ended session takes no more checks, answers or reports. */
    EXPECT_ONCE(CRA_OK, cra_session_end(r, sid, "done", ERR));
    char *late = action_request((struct action_fields){.session_id = sid, .request_id = "req-late", .rest = export_rest});
    EXPECT_UNTOUCHED(CRA_ERR_SESSION_ENDED, buf, cra_check_action(r, late, strlen(late), &buf, ERR));
    EXPECT_STATUS(CRA_ERR_SESSION_ENDED, cra_answer_approval(r, sid, aid, true, "lead", NULL, ERR));
    char *late_report = action_request((struct action_fields){
        .operation = "report_action", .session_id = sid, .request_id = "req-late-report", .rest = unknown_execution});
    EXPECT_STATUS(CRA_ERR_SESSION_ENDED, cra_report_action(r, late_report, strlen(late_report), ERR));
    CHECK(stored_events(r, sid) == before_end + 1); /* + session.ended */

    cra_buf trace = {NULL, 0};
    cra_verify_report verified;
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, sid, CRA_TRACE_WAIT, 1000, &trace, ERR));
    EXPECT_ONCE(CRA_OK, cra_verify_jsonl(trace.data, trace.len, &verified, ERR));
    CHECK(trace.data != NULL && strstr(trace.data, "\"approval.granted\"") != NULL &&
          strstr(trace.data, "\"action.executed\"") != NULL);
    cra_buf_free(&trace);

    free(late);
    free(late_report);
    free(again);
    free(executed);
    free(executed_rest);
    free(report);
    free(unknown_execution);
    free(check);
    free(export_rest);
    cra_resolver_free(r);
}

/* CARP.md: a request is a JSON object with named members. A positional
 * "request" (its members as an array, in declaration order) is refused. */
/* ------------------------------------------------------------------------
 * Per-session trace mode (cra_session_begin_with) and the request writers
 * (cra_*_request_json): bad options and fields are refused and change
 * nothing; good ones give sessions of both modes in one resolver and
 * requests that cra_resolve, cra_check_action and cra_report_action take.
 * --------------------------------------------------------------------- */

static void session_modes_and_request_writers(void)
{
    const cra_status A = CRA_ERR_INVALID_ARGUMENT;
    cra_resolver *r = new_resolver(NULL); /* immediate by default */
    EXPECT_ONCE(CRA_OK, cra_load_atlas_file(r, CRA_EXAMPLES_DATA_DIR "/ops.atlas.json", ERR));
    char id[CRA_ID_BUF_LEN];

    cra_session_options_init(NULL);
    cra_session_options opts;
    cra_session_options_init(&opts);
    CHECK(opts.struct_size == sizeof opts && opts.trace_mode == CRA_TRACE_RESOLVER_DEFAULT);
    EXPECT_UNTOUCHED(A, id, cra_session_begin_with(NULL, AGENT, "goal", &opts, id, ERR));
    EXPECT_UNTOUCHED(A, id, cra_session_begin_with(r, NULL, "goal", &opts, id, ERR));
    EXPECT_STATUS(A, cra_session_begin_with(r, AGENT, "goal", &opts, NULL, ERR));
    opts.trace_mode = 3;
    EXPECT_UNTOUCHED(A, id, cra_session_begin_with(r, AGENT, "goal", &opts, id, ERR));
    cra_session_options_init(&opts);
    opts.struct_size = 4;
    EXPECT_UNTOUCHED(A, id, cra_session_begin_with(r, AGENT, "goal", &opts, id, ERR));
    cra_stats stats;
    EXPECT_ONCE(CRA_OK, cra_stats_get(r, &stats, ERR));
    CHECK(stats.sessions_active == 0 && stats.events_emitted == 0);

    /* One session of each mode; while the processor is held only the
     * deferred one waits. NULL options are the resolver's mode. */
    char live[CRA_ID_BUF_LEN], swarm[CRA_ID_BUF_LEN], plain[CRA_ID_BUF_LEN];
    cra_session_options_init(&opts);
    opts.trace_mode = CRA_TRACE_IMMEDIATE;
    EXPECT_ONCE(CRA_OK, cra_session_begin_with(r, AGENT, "Watch it live", &opts, live, ERR));
    EXPECT_ONCE(CRA_OK, cra_session_begin_with(r, AGENT, "Refund and export", NULL, plain, ERR));
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, true, ERR));
    opts.trace_mode = CRA_TRACE_DEFERRED;
    EXPECT_ONCE(CRA_OK, cra_session_begin_with(r, AGENT, "Run the swarm", &opts, swarm, ERR));
    bool ready = false;
    EXPECT_ONCE(CRA_OK, cra_is_trace_ready(r, swarm, &ready, ERR));
    CHECK(!ready);
    EXPECT_ONCE(CRA_OK, cra_is_trace_ready(r, live, &ready, ERR));
    CHECK(ready);
    EXPECT_ONCE(CRA_OK, cra_test_hold_processor(r, false, ERR));
    EXPECT_ONCE(CRA_OK, cra_await_trace_ready(r, swarm, 10000, ERR));

    /* The request writers: NULL and short structs, missing fields. */
    cra_buf buf;
    cra_resolve_request resolve;
    cra_resolve_request_init(NULL);
    cra_resolve_request_init(&resolve);
    CHECK(resolve.struct_size == sizeof resolve && resolve.goal == NULL && resolve.request_id == NULL);
    EXPECT_UNTOUCHED(A, buf, cra_resolve_request_json(NULL, &buf, ERR));
    EXPECT_UNTOUCHED(A, buf, cra_resolve_request_json(&resolve, &buf, ERR)); /* no session, agent, goal */
    resolve.session_id = plain;
    resolve.agent_id = AGENT;
    resolve.goal = "Refund and export";
    EXPECT_STATUS(A, cra_resolve_request_json(&resolve, NULL, ERR));
    resolve.struct_size = 4;
    EXPECT_UNTOUCHED(A, buf, cra_resolve_request_json(&resolve, &buf, ERR));
    resolve.struct_size = sizeof resolve;
    resolve.risk_tier = "\xc3\x28";
    EXPECT_UNTOUCHED(A, buf, cra_resolve_request_json(&resolve, &buf, ERR));
    resolve.risk_tier = NULL;

    /* A resolve written by the library resolves; its approval id and
     * resolution id feed a check written by the library. */
    cra_buf request = {NULL, 0}, resolution = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_resolve_request_json(&resolve, &request, ERR));
    EXPECT_ONCE(CRA_OK, cra_resolve(r, request.data, request.len, &resolution, ERR));
    cra_buf_free(&request);
    char rid[CRA_ID_BUF_LEN];
    member_text(resolution.data, "resolution_id", rid, sizeof rid);
    cra_buf_free(&resolution);

    cra_check_request check;
    cra_check_request_init(NULL);
    cra_check_request_init(&check);
    CHECK(check.struct_size == sizeof check && check.parameters_json == NULL);
    check.session_id = plain;
    check.agent_id = AGENT;
    check.resolution_id = rid;
    EXPECT_UNTOUCHED(A, buf, cra_check_request_json(&check, &buf, ERR)); /* no action */
    check.action_id = "report.export";
    static const char NOT_AN_OBJECT[] = "[1]", REPEATED[] = "{\"a\":1,\"a\":2}", PARAMETERS[] = "{\"format\":\"csv\"}";
    check.parameters_json = NOT_AN_OBJECT;
    check.parameters_len = strlen(NOT_AN_OBJECT);
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_JSON, buf, cra_check_request_json(&check, &buf, ERR));
    check.parameters_json = REPEATED;
    check.parameters_len = strlen(REPEATED);
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_JSON, buf, cra_check_request_json(&check, &buf, ERR));
    check.parameters_json = PARAMETERS;
    check.parameters_len = strlen(PARAMETERS);
    check.request_id = "req-written-by-libcra";
    cra_buf result = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_check_request_json(&check, &request, ERR));
    CHECK(strstr(request.data, "\"request_id\":\"req-written-by-libcra\"") != NULL);
    EXPECT_ONCE(CRA_OK, cra_check_action(r, request.data, request.len, &result, ERR));
    cra_buf_free(&request);
    char execution[CRA_ID_BUF_LEN];
    member_text(result.data, "execution_id", execution, sizeof execution);
    CHECK(strstr(result.data, "\"decision\":\"approved\"") != NULL && strlen(execution) == 36);
    cra_buf_free(&result);

    cra_report_request report;
    cra_report_request_init(NULL);
    cra_report_request_init(&report);
    CHECK(report.struct_size == sizeof report && report.status == CRA_OUTCOME_EXECUTED);
    report.session_id = plain;
    report.agent_id = AGENT;
    report.execution_id = execution;
    report.status = 7;
    EXPECT_UNTOUCHED(A, buf, cra_report_request_json(&report, &buf, ERR));
    report.status = CRA_OUTCOME_FAILED; /* without error_code and error_message */
    EXPECT_UNTOUCHED(A, buf, cra_report_request_json(&report, &buf, ERR));
    report.error_code = "E_EXPORT";
    EXPECT_UNTOUCHED(A, buf, cra_report_request_json(&report, &buf, ERR));
    report.error_message = "the export service is down";
    report.duration_ms = 40;
    EXPECT_ONCE(CRA_OK, cra_report_request_json(&report, &request, ERR));
    EXPECT_ONCE(CRA_OK, cra_report_action(r, request.data, request.len, ERR));
    cra_buf_free(&request);

    /* Every session of both modes verifies. */
    const char *const sessions[] = {live, plain, swarm};
    for (size_t i = 0; i < COUNT(sessions); i++) {
        cra_verify_report verdict;
        EXPECT_ONCE(CRA_OK, cra_session_end(r, sessions[i], "done", ERR));
        EXPECT_ONCE(CRA_OK, cra_await_trace_ready(r, sessions[i], 10000, ERR));
        EXPECT_ONCE(CRA_OK, cra_verify_chain(r, sessions[i], &verdict, ERR));
        CHECK(verdict.failure == CRA_CHAIN_VALID && verdict.events >= 2);
    }
    cra_resolver_free(r);
}

static void positional_request(cra_resolver *r)
{
    char sid[CRA_ID_BUF_LEN];
    begin(r, sid);
    char now[RFC3339_LEN];
    rfc3339_now(now);
    const struct template_value values[] = {{"SESSION_ID", sid}, {"TIMESTAMP", now}};
    char *positional = template_fill(
        "[\"1.0\",\"req-array\",\"{{TIMESTAMP}}\",\"resolve\",[\"" AGENT "\",\"{{SESSION_ID}}\",null],"
        "[\"Refund a customer\",\"high\",[],[]],[\"com.example.billing\"],{}]",
        values, COUNT(values));
    cra_buf buf = {NULL, 0};
    EXPECT_UNTOUCHED(CRA_ERR_INVALID_REQUEST, buf, cra_resolve(r, positional, strlen(positional), &buf, ERR));
    free(positional);
}

/* After all of the above, the same resolver still does a full resolve. */
static void still_works(cra_resolver *r)
{
    char sid[CRA_ID_BUF_LEN];
    begin(r, sid);
    char *request = shipped_request(sid, "req-final");
    cra_buf resolution = {NULL, 0};
    EXPECT_ONCE(CRA_OK, cra_resolve(r, request, strlen(request), &resolution, ERR));
    CHECK(resolution.data != NULL && strstr(resolution.data, "\"requires_approval\"") != NULL &&
          strstr(resolution.data, "\"no-account-closure\"") != NULL);
    cra_buf_free(&resolution);
    free(request);
    EXPECT_ONCE(CRA_OK, cra_session_end(r, sid, "done", ERR));

    cra_buf trace = {NULL, 0};
    cra_verify_report report;
    EXPECT_ONCE(CRA_OK, cra_get_trace(r, sid, CRA_TRACE_WAIT, 1000, &trace, ERR));
    EXPECT_ONCE(CRA_OK, cra_verify_jsonl(trace.data, trace.len, &report, ERR));
    CHECK(cra_verify_chain(r, sid, &report, NULL) == CRA_OK); /* success with err NULL */
    CHECK(report.events >= 4 && report.pending == 0);
    cra_buf_free(&trace);
    cra_stats stats;
    EXPECT_ONCE(CRA_OK, cra_stats_get(r, &stats, ERR));
    CHECK(stats.events_emitted == stats.events_processed && stats.queue_capacity == 0);
}

int main(void)
{
    request_template = read_file(CRA_EXAMPLES_DATA_DIR "/request.json", NULL);
    if (request_template == NULL)
        return 2;
    huge = repeat("a", 10 * MIB, "");

    versions_and_names();
    config();

    cra_resolver *r = new_resolver(NULL);
    load_billing(r);
    char sid[CRA_ID_BUF_LEN];
    begin(r, sid);

    freeing_nothing_and_twice(r, sid);
    null_pointers(r, sid);
    arguments_first(r);
    text_arguments(r, sid);
    json_inputs(r, sid);
    session_ids(r);
    flags(r, sid);
    resolver_rules(r);
    deferred();
    stores();
    action_checks();
    session_modes_and_request_writers();
    positional_request(r);
    still_works(r);

    cra_resolver_free(r);
    free(huge);
    free(request_template);
    if (failures != 0) {
        fprintf(stderr, "bad_input: %u of %u checks failed\n", failures, checks);
        return 1;
    }
    printf("bad_input: all %u checks passed\n", checks);
    return 0;
}
