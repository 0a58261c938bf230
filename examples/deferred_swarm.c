/*
 * deferred_swarm.c — many agents at once, with the audit trail hashed off
 * their threads.
 *
 * Usage: deferred_swarm [--store URL] [--sessions-out FILE]
 *                       [AGENTS [RESOLVES_PER_AGENT [BUFFER_CAPACITY]]]
 *        (defaults: the memory store, 8 agents, 200 resolves each, a
 *        1024-event buffer)
 *
 * In deferred mode a call only pushes its raw events into a bounded buffer;
 * one background thread hashes, chains and stores them. Each agent thread
 * here begins a session, resolves requests, ends the session, waits until
 * its trace is stored (cra_await_trace_ready) and verifies its chain.
 *
 * When the buffer is full, libcra refuses the whole operation with
 * CRA_ERR_BACKPRESSURE: nothing was recorded and no decision was made, so
 * the agent waits and tries the same call again, doubling the wait each
 * time (exponential backoff). A small BUFFER_CAPACITY makes that happen.
 *
 * At the end the resolver's counters must show no lost event: every event
 * accepted was processed (events_emitted == events_processed). The program
 * exits with status 1 on any failure.
 *
 * --store sqlite:PATH sends the events on to a durable SQLite file (created
 * when missing; "memory:" is the default). The program then ends with
 * cra_await_trace_durable(NULL), which waits until every session's events
 * are committed, prints the store's counters (cra_store_stats_get), and
 * checks that every processed event reached the file. --sessions-out FILE
 * writes the id of every session, one a line, so that `audit_store
 * sqlite:PATH --sessions FILE` can reopen the file and verify each session
 * against its head (the C ABI has no call that lists a store's sessions).
 */
/* pthreads, clock_gettime and nanosleep are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cra.h"
#include "common/files.h"
#include "common/report.h"
#include "common/request_template.h"

#ifndef CRA_EXAMPLES_DATA_DIR
#define CRA_EXAMPLES_DATA_DIR "examples/data"
#endif

/* Backoff: 50 us, 100 us, ... capped at 20 ms; give up after 1000 tries
 * (about 20 s), which only a stuck trace processor would reach. */
#define BACKOFF_FIRST_NS 50000L
#define BACKOFF_MAX_NS 20000000L
#define BACKOFF_MAX_TRIES 1000
/* How long an agent waits for its trace to be stored. */
#define TRACE_WAIT_MS 30000

/* What every agent thread shares (read-only while they run). */
struct swarm {
    cra_resolver *resolver;
    const char *request_template;
    unsigned resolves_per_agent;
};

/* One agent thread: its inputs and what it reports back to main. */
struct agent {
    const struct swarm *swarm;
    char agent_id[32];
    char session_id[CRA_ID_BUF_LEN];
    unsigned long long retries;
    unsigned long long trace_events;
    bool succeeded;
};

/* The swarm's command line. */
struct options {
    const char *store_url;    /* NULL: the memory store */
    const char *sessions_out; /* NULL: do not write the session ids */
    unsigned agents, resolves, capacity;
};

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The retry state of one call. */
struct backoff {
    unsigned tries;
    long delay_ns;
    unsigned long long *retries; /* the agent's counter */
};

/* Decides after a call whether to try it again: only CRA_ERR_BACKPRESSURE
 * is worth retrying (every other status is final). Sleeps before saying
 * yes, and frees the error of the refused attempt. */
static bool retry_after(cra_status status, cra_error **err, struct backoff *backoff)
{
    if (status != CRA_ERR_BACKPRESSURE || ++backoff->tries >= BACKOFF_MAX_TRIES)
        return false;
    cra_error_free(*err);
    *err = NULL;
    backoff->delay_ns = backoff->delay_ns == 0 ? BACKOFF_FIRST_NS : backoff->delay_ns * 2;
    if (backoff->delay_ns > BACKOFF_MAX_NS)
        backoff->delay_ns = BACKOFF_MAX_NS;
    struct timespec pause = {0, backoff->delay_ns};
    nanosleep(&pause, NULL);
    (*backoff->retries)++;
    return true;
}

static bool resolve_once(struct agent *agent, unsigned n)
{
    const struct swarm *swarm = agent->swarm;
    char request_id[32];
    snprintf(request_id, sizeof request_id, "req-%u", n);
    char *request = request_from_template(swarm->request_template, agent->agent_id,
                                          agent->session_id, request_id);
    if (request == NULL)
        return false;
    cra_buf resolution = {NULL, 0};
    cra_error *err = NULL;
    cra_status status;
    struct backoff backoff = {0, 0, &agent->retries};
    do {
        status = cra_resolve(swarm->resolver, request, strlen(request), &resolution, &err);
    } while (retry_after(status, &err, &backoff));
    free(request);
    cra_buf_free(&resolution); /* a real host would act on the decision here */
    return !call_failed("cra_resolve", status, err);
}

static void *run_agent(void *arg)
{
    struct agent *agent = arg;
    cra_resolver *resolver = agent->swarm->resolver;
    cra_error *err = NULL;
    cra_status status;
    struct backoff backoff = {0, 0, &agent->retries};

    do {
        status = cra_session_begin(resolver, agent->agent_id, "Answer billing questions",
                                   agent->session_id, &err);
    } while (retry_after(status, &err, &backoff));
    if (call_failed("cra_session_begin", status, err))
        return NULL;

    for (unsigned n = 0; n < agent->swarm->resolves_per_agent; n++) {
        if (!resolve_once(agent, n))
            return NULL;
    }

    backoff = (struct backoff){0, 0, &agent->retries};
    do {
        status = cra_session_end(resolver, agent->session_id, "shift over", &err);
    } while (retry_after(status, &err, &backoff));
    if (call_failed("cra_session_end", status, err))
        return NULL;

    /* Deferred mode: the events may still be in the buffer. Wait for this
     * session's, then check its chain: every event stored, none pending. */
    status = cra_await_trace_ready(resolver, agent->session_id, TRACE_WAIT_MS, &err);
    if (call_failed("cra_await_trace_ready", status, err))
        return NULL;
    cra_verify_report report;
    status = cra_verify_chain(resolver, agent->session_id, &report, &err);
    if (call_failed("cra_verify_chain", status, err))
        return NULL;
    if (report.pending != 0) {
        fprintf(stderr, "%s: %llu events still pending after the wait\n", agent->agent_id,
                (unsigned long long)report.pending);
        return NULL;
    }
    agent->trace_events = report.events;
    agent->succeeded = true;
    return NULL;
}

/* Reads text as a number in [min, max], or returns fallback when it is NULL. */
static bool parse_count(const char *name, const char *text, unsigned fallback, unsigned min, unsigned max,
                        unsigned *out)
{
    if (text == NULL) {
        *out = fallback;
        return true;
    }
    char *end = NULL;
    unsigned long value = strtoul(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "%s ('%s') must be a number from %u to %u\n", name, text, min, max);
        return false;
    }
    *out = (unsigned)value;
    return true;
}

static bool parse_options(int argc, char **argv, struct options *options)
{
    const char *counts[3] = {NULL, NULL, NULL};
    size_t given = 0;
    options->store_url = NULL;
    options->sessions_out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            options->store_url = argv[++i];
        else if (strcmp(argv[i], "--sessions-out") == 0 && i + 1 < argc)
            options->sessions_out = argv[++i];
        else if (argv[i][0] != '-' && given < 3)
            counts[given++] = argv[i];
        else
            return false;
    }
    return parse_count("AGENTS", counts[0], 8, 1, 1024, &options->agents) &&
           parse_count("RESOLVES_PER_AGENT", counts[1], 200, 1, 1000000, &options->resolves) &&
           parse_count("BUFFER_CAPACITY", counts[2], 1024, 16, 1u << 24, &options->capacity);
}

/* Writes the agents' session ids to path, one a line (an agent that could
 * not begin its session has none). */
static bool write_session_ids(const char *path, const struct agent *agents, unsigned count)
{
    char *text = malloc((size_t)count * CRA_ID_BUF_LEN + 1);
    if (text == NULL) {
        fprintf(stderr, "out of memory\n");
        return false;
    }
    size_t len = 0;
    for (unsigned i = 0; i < count; i++) {
        if (agents[i].session_id[0] == '\0')
            continue;
        memcpy(text + len, agents[i].session_id, CRA_ID_BUF_LEN - 1);
        len += CRA_ID_BUF_LEN - 1;
        text[len++] = '\n';
    }
    bool written = write_file(path, text, len);
    free(text);
    return written;
}

static void print_stats(const cra_stats *stats)
{
    printf("cra_stats: emitted %llu, processed %llu, rejected %llu, queue depth %llu/%llu "
           "(high water %llu), active sessions %llu\n",
           (unsigned long long)stats->events_emitted, (unsigned long long)stats->events_processed,
           (unsigned long long)stats->events_rejected, (unsigned long long)stats->queue_depth,
           (unsigned long long)stats->queue_capacity, (unsigned long long)stats->queue_high_water,
           (unsigned long long)stats->sessions_active);
}

static void print_store_stats(const cra_store_stats *stats)
{
    printf("cra_store_stats: durable %llu, waiting %llu, commits %llu, write errors %llu, "
           "sessions in memory %llu, evicted %llu, resident bytes %llu\n",
           (unsigned long long)stats->events_durable, (unsigned long long)stats->events_waiting,
           (unsigned long long)stats->commits, (unsigned long long)stats->write_errors,
           (unsigned long long)stats->sessions_in_memory, (unsigned long long)stats->sessions_evicted,
           (unsigned long long)stats->resident_event_bytes);
}

int main(int argc, char **argv)
{
    struct options options;
    if (!parse_options(argc, argv, &options)) {
        fprintf(stderr, "usage: %s [--store URL] [--sessions-out FILE] [AGENTS [RESOLVES_PER_AGENT [BUFFER_CAPACITY]]]\n",
                argv[0]);
        return 2;
    }
    const unsigned agent_count = options.agents, resolves = options.resolves, capacity = options.capacity;
    const char *store = options.store_url != NULL ? options.store_url : "memory:";

    int exit_code = 1;
    cra_resolver *resolver = NULL;
    char *request_template = NULL;
    struct agent *agents = calloc(agent_count, sizeof *agents);
    pthread_t *threads = calloc(agent_count, sizeof *threads);
    unsigned started = 0;
    cra_error *err = NULL;
    cra_status status;
    if (agents == NULL || threads == NULL) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }

    /* Deferred mode, and a full buffer refuses at once (CRA_BACKPRESSURE_ERROR)
     * so the agents' own backoff decides how to wait. */
    cra_config config;
    cra_config_init(&config); /* always first: sets struct_size and the defaults */
    config.trace_mode = CRA_TRACE_DEFERRED;
    config.buffer_capacity = capacity;
    config.backpressure = CRA_BACKPRESSURE_ERROR;
    status = cra_resolver_open(&config, options.store_url, &resolver, &err); /* NULL: memory */
    if (call_failed("cra_resolver_open", status, err))
        goto done;
    status = cra_load_atlas_file(resolver, CRA_EXAMPLES_DATA_DIR "/billing.atlas.json", &err);
    if (call_failed("cra_load_atlas_file", status, err))
        goto done;
    request_template = read_file(CRA_EXAMPLES_DATA_DIR "/request.json", NULL);
    if (request_template == NULL)
        goto done;

    printf("%u agents x %u resolves, deferred trace, buffer of %u events, store %s\n", agent_count, resolves,
           capacity, store);
    struct swarm swarm = {resolver, request_template, resolves};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (; started < agent_count; started++) {
        struct agent *agent = &agents[started];
        agent->swarm = &swarm;
        snprintf(agent->agent_id, sizeof agent->agent_id, "swarm-agent-%u", started);
        if (pthread_create(&threads[started], NULL, run_agent, agent) != 0) {
            fprintf(stderr, "cannot start thread %u\n", started);
            break;
        }
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double elapsed = seconds_since(&start);

    /* Every agent waited for its own session; this waits for all of them. */
    status = cra_flush_traces(resolver, TRACE_WAIT_MS, &err);
    if (call_failed("cra_flush_traces", status, err))
        goto done;
    cra_stats stats;
    status = cra_stats_get(resolver, &stats, &err);
    if (call_failed("cra_stats_get", status, err))
        goto done;
    if (options.sessions_out != NULL) {
        if (!write_session_ids(options.sessions_out, agents, started))
            goto done;
        printf("session ids written to %s\n", options.sessions_out);
    }

    /* A durable store: wait until every session's events are committed to
     * the file (also those of sessions that have left memory), then read
     * the store's counters. */
    cra_store_stats store_stats = {0};
    if (options.store_url != NULL) {
        status = cra_await_trace_durable(resolver, NULL, TRACE_WAIT_MS, &err);
        if (call_failed("cra_await_trace_durable", status, err))
            goto done;
        status = cra_store_stats_get(resolver, &store_stats, &err);
        if (call_failed("cra_store_stats_get", status, err))
            goto done;
    }

    unsigned succeeded = 0;
    unsigned long long retries = 0, trace_events = 0;
    for (unsigned i = 0; i < started; i++) {
        succeeded += agents[i].succeeded;
        retries += agents[i].retries;
        trace_events += agents[i].trace_events;
    }
    unsigned long long total = (unsigned long long)succeeded * resolves;
    printf("%u/%u agents verified their chains: %llu events in their traces\n", succeeded,
           agent_count, trace_events);
    printf("%llu resolves in %.3f s: %.0f resolves/s, %.0f events/s; %llu backpressure retries\n",
           total, elapsed, (double)total / elapsed, (double)stats.events_processed / elapsed, retries);
    print_stats(&stats);
    if (options.store_url != NULL)
        print_store_stats(&store_stats);

    if (succeeded != agent_count) {
        fprintf(stderr, "FAILED: %u agents did not finish\n", agent_count - succeeded);
    } else if (stats.events_emitted != stats.events_processed || stats.queue_depth != 0) {
        fprintf(stderr, "FAILED: events were lost (emitted %llu, processed %llu, queued %llu)\n",
                (unsigned long long)stats.events_emitted, (unsigned long long)stats.events_processed,
                (unsigned long long)stats.queue_depth);
    } else if (trace_events != stats.events_processed) {
        fprintf(stderr, "FAILED: the sessions' chains hold %llu events, the resolver processed %llu\n",
                trace_events, (unsigned long long)stats.events_processed);
    } else if (options.store_url != NULL &&
               (store_stats.events_waiting != 0 || store_stats.events_durable != stats.events_processed)) {
        fprintf(stderr, "FAILED: %llu of %llu events committed to %s, %llu still waiting\n",
                (unsigned long long)store_stats.events_durable, (unsigned long long)stats.events_processed, store,
                (unsigned long long)store_stats.events_waiting);
    } else {
        exit_code = 0;
    }

done:
    cra_resolver_free(resolver); /* drains whatever is still buffered, commits what the store holds */
    free(request_template);
    free(threads);
    free(agents);
    return exit_code;
}
