/*
 * hardening.c — a host that frees a resolver while other threads are
 * inside it, forks, and names special files as atlases.
 *
 *   1. In flight: 32 threads wait inside cra_await_trace_ready,
 *      cra_flush_traces and cra_resolve (blocked on a full buffer) while
 *      main calls cra_resolver_free; each must return, and free must wait
 *      for them before releasing anything. 30 rounds. Run it under ASan
 *      (build-asan/) to see that nothing touches freed memory.
 *   2. Fork: a resolver created before fork() answers CRA_ERR_SHUTDOWN in
 *      the child, with a message that says what to do; freeing it there
 *      returns at once; a new resolver in the child works; the parent's
 *      resolver is unaffected.
 *   3. Special files: a FIFO with no writer, /dev/zero, a directory and a
 *      sparse 300 MB file are refused by cra_load_atlas_file at once,
 *      without reading them.
 *
 * Prints every failed check and exits 1 if there was one.
 */
#define _DEFAULT_SOURCE

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cra.h"
#include "cra_testing.h"
#include "common/files.h"
#include "common/request_template.h"

#define THREADS 32
#define ROUNDS 30
#define AGENT "agent-7"
#define LONG_WAIT_MS 60000u

static unsigned failures;
static char *request_template;

#define CHECK(condition, ...)                                                   \
    do {                                                                        \
        if (!(condition)) {                                                     \
            failures++;                                                         \
            fprintf(stderr, "hardening.c:%d: check failed: %s: ", __LINE__, #condition); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static cra_resolver *new_resolver(const cra_config *config)
{
    cra_resolver *r = NULL;
    cra_error *err = NULL;
    if (cra_resolver_new(config, &r, &err) != CRA_OK) {
        fprintf(stderr, "cra_resolver_new: %s\n", cra_error_message(err));
        cra_error_free(err);
        exit(2);
    }
    if (cra_load_atlas_file(r, CRA_EXAMPLES_DATA_DIR "/billing.atlas.json", &err) != CRA_OK) {
        fprintf(stderr, "cra_load_atlas_file: %s\n", cra_error_message(err));
        exit(2);
    }
    return r;
}

static cra_status resolve(cra_resolver *r, const char *session, unsigned n)
{
    char request_id[32];
    snprintf(request_id, sizeof request_id, "req-%u", n);
    char *request = request_from_template(request_template, AGENT, session, request_id);
    if (request == NULL)
        exit(2);
    cra_buf resolution = {NULL, 0};
    cra_status status = cra_resolve(r, request, strlen(request), &resolution, NULL);
    cra_buf_free(&resolution);
    free(request);
    return status;
}

static uint64_t events_emitted(cra_resolver *r)
{
    cra_stats stats;
    cra_stats_get(r, &stats, NULL);
    return stats.events_emitted;
}

/* ---- 1. Freeing with calls in flight ---------------------------------- */

enum call_kind { AWAIT, FLUSH, RESOLVE, CALL_KINDS };

struct caller {
    cra_resolver *resolver;
    const char *session;
    enum call_kind kind;
    unsigned request;
    cra_status status;
};

static void *call_and_wait(void *arg)
{
    struct caller *c = arg;
    switch (c->kind) {
    case AWAIT:
        c->status = cra_await_trace_ready(c->resolver, c->session, LONG_WAIT_MS, NULL);
        break;
    case FLUSH:
        c->status = cra_flush_traces(c->resolver, LONG_WAIT_MS, NULL);
        break;
    default:
        c->status = resolve(c->resolver, c->session, c->request);
        break;
    }
    return NULL;
}

static void free_with_calls_in_flight(unsigned round)
{
    cra_config config;
    cra_config_init(&config);
    config.trace_mode = CRA_TRACE_DEFERRED;
    config.buffer_capacity = 64;
    config.backpressure = CRA_BACKPRESSURE_BLOCK;
    config.block_timeout_ms = LONG_WAIT_MS;
    cra_resolver *r = new_resolver(&config);
    char session[CRA_ID_BUF_LEN];
    CHECK(cra_session_begin(r, AGENT, "Refund a charge", session, NULL) == CRA_OK, "round %u", round);

    /* Held, the processor stores nothing: awaits and flushes wait, and the
     * buffer fills until resolves block on it. */
    cra_test_hold_processor(r, true, NULL);
    unsigned request = 0;
    uint64_t before = events_emitted(r);
    CHECK(resolve(r, session, request++) == CRA_OK, "round %u", round);
    uint64_t per_resolve = events_emitted(r) - before;
    while (events_emitted(r) + per_resolve <= config.buffer_capacity)
        CHECK(resolve(r, session, request++) == CRA_OK, "round %u", round);

    struct caller callers[THREADS];
    pthread_t threads[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        callers[i] = (struct caller){r, session, (enum call_kind)(i % CALL_KINDS), request++, -1};
        pthread_create(&threads[i], NULL, call_and_wait, &callers[i]);
    }
    sleep_ms(50); /* long enough for every thread to be inside its call */
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    cra_resolver_free(r);
    /* free returns only once every call has left the library. */
    double took = seconds_since(&started);
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        cra_status status = callers[i].status;
        if (callers[i].kind == RESOLVE)
            CHECK(status == CRA_ERR_SHUTDOWN, "round %u thread %u: blocked resolve returned %s",
                  round, i, cra_status_name(status));
        else
            CHECK(status == CRA_OK || status == CRA_ERR_SHUTDOWN,
                  "round %u thread %u: wait returned %s", round, i, cra_status_name(status));
    }
    CHECK(took < 10.0, "round %u: free took %.1f s", round, took);
}

/* ---- 2. fork() ---------------------------------------------------------- */

/* Resolves once more on `r` and checks that the session's chain is stored
 * and valid; `where` names the process in messages. */
static void resolve_and_verify(cra_resolver *r, const char *session, unsigned n, const char *where)
{
    CHECK(resolve(r, session, n) == CRA_OK, "resolve in the %s", where);
    CHECK(cra_await_trace_ready(r, session, 5000, NULL) == CRA_OK, "await in the %s", where);
    cra_verify_report report;
    CHECK(cra_verify_chain(r, session, &report, NULL) == CRA_OK, "verify in the %s", where);
}

static int in_child(cra_resolver *inherited, const char *session)
{
    unsigned before = failures;
    cra_error *err = NULL;
    cra_status status = cra_stats_get(inherited, &(cra_stats){0}, &err);
    CHECK(status == CRA_ERR_SHUTDOWN, "stats in the child returned %s", cra_status_name(status));
    CHECK(err != NULL && strstr(cra_error_message(err), "fork") != NULL, "message: %s",
          err ? cra_error_message(err) : "(none)");
    cra_error_free(err);
    status = resolve(inherited, session, 100);
    CHECK(status == CRA_ERR_SHUTDOWN, "resolve in the child returned %s", cra_status_name(status));
    CHECK(cra_flush_traces(inherited, 1000, NULL) == CRA_ERR_SHUTDOWN, "flush in the child");

    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    cra_resolver_free(inherited);
    CHECK(seconds_since(&started) < 1.0, "free in the child took %.1f s", seconds_since(&started));

    cra_config config;
    cra_config_init(&config);
    config.trace_mode = CRA_TRACE_DEFERRED;
    cra_resolver *fresh = new_resolver(&config);
    char own[CRA_ID_BUF_LEN];
    CHECK(cra_session_begin(fresh, AGENT, "In the child", own, NULL) == CRA_OK, "begin in child");
    resolve_and_verify(fresh, own, 1, "child, on a new resolver");
    cra_resolver_free(fresh);
    return failures == before ? 0 : 1;
}

static void fork_child(uint32_t mode)
{
    cra_config config;
    cra_config_init(&config);
    config.trace_mode = mode;
    cra_resolver *r = new_resolver(&config);
    char session[CRA_ID_BUF_LEN];
    CHECK(cra_session_begin(r, AGENT, "Before fork", session, NULL) == CRA_OK, "begin");
    CHECK(resolve(r, session, 1) == CRA_OK, "resolve before fork");

    fflush(NULL);
    pid_t child = fork();
    if (child == 0)
        _exit(in_child(r, session));
    int wstatus = 0;
    CHECK(child > 0 && waitpid(child, &wstatus, 0) == child, "fork");
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "the child's checks failed (mode %d)",
          (int)mode);

    resolve_and_verify(r, session, 2, "parent, after fork");
    cra_resolver_free(r);
}

/* ---- 3. Special files --------------------------------------------------- */

static long max_rss_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static void special_files(void)
{
    char folder[] = "/tmp/cra-hardening-XXXXXX";
    CHECK(mkdtemp(folder) != NULL, "mkdtemp");
    char fifo[sizeof folder + 16];
    char sparse[sizeof folder + 16];
    snprintf(fifo, sizeof fifo, "%s/fifo", folder);
    snprintf(sparse, sizeof sparse, "%s/sparse", folder);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    FILE *f = fopen(sparse, "w");
    CHECK(f != NULL && ftruncate(fileno(f), 300L << 20) == 0, "sparse file");
    if (f != NULL)
        fclose(f);

    cra_resolver *r = new_resolver(NULL);
    const struct {
        const char *path;
        cra_status expected;
    } cases[] = {
        {fifo, CRA_ERR_IO}, {"/dev/zero", CRA_ERR_IO}, {folder, CRA_ERR_IO},
        {sparse, CRA_ERR_INVALID_ARGUMENT},
    };
    long rss_before = max_rss_kib();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct timespec started;
        clock_gettime(CLOCK_MONOTONIC, &started);
        cra_error *err = NULL;
        cra_status status = cra_load_atlas_file(r, cases[i].path, &err);
        double took = seconds_since(&started);
        CHECK(status == cases[i].expected, "%s: %s (%s)", cases[i].path, cra_status_name(status),
              err ? cra_error_message(err) : "");
        CHECK(took < 1.0, "%s took %.1f s", cases[i].path, took);
        cra_error_free(err);
    }
    CHECK(max_rss_kib() - rss_before < 64 * 1024, "memory grew by %ld KiB", max_rss_kib() - rss_before);
    cra_resolver_free(r);
    unlink(fifo);
    unlink(sparse);
    rmdir(folder);
}

int main(void)
{
    request_template = read_file(CRA_EXAMPLES_DATA_DIR "/request.json", NULL);
    if (request_template == NULL)
        return 2;
    for (unsigned round = 0; round < ROUNDS; round++)
        free_with_calls_in_flight(round);
    fork_child(CRA_TRACE_IMMEDIATE);
    fork_child(CRA_TRACE_DEFERRED);
    special_files();
    free(request_template);
    if (failures != 0) {
        fprintf(stderr, "hardening: %u checks failed\n", failures);
        return 1;
    }
    printf("hardening: all checks passed (%d rounds of %d calls in flight)\n", ROUNDS, THREADS);
    return 0;
}
