/*
 * bench.c — measures libcra through its C ABI, which is what a host pays.
 *
 *     cra_bench [--data DIR] [--out FILE] [--quick] [--only GROUP]
 *
 * DIR holds the benchmark atlases (default bench/data); FILE receives the
 * figures as JSON (default: stdout). --quick runs a tenth of the work, for
 * checking that the program works, not for figures. --only runs one group
 * (resolve, sync, processor, verify, swarm), e.g. under a profiler.
 *
 * Latencies time every call on its own (CLOCK_MONOTONIC, read through the
 * vDSO; the timer's own cost is reported as "c.timer_overhead"), so they
 * come with tails: median, p99, p99.9. Throughputs time a whole run.
 *
 * The in-memory trace store keeps every event, so no resolver is used for
 * more than RESOLVES_PER_RIG resolves: a fresh one is made (outside the
 * timed region) instead of measuring an ever-growing heap. Sessions take
 * RESOLVES_PER_SESSION requests each, as real agent sessions are bounded.
 * The workload (atlases, request, goal) is the one of benches/common/mod.rs.
 */
#define _GNU_SOURCE
#include "cra.h"
#include "cra_testing.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AGENT "bench-agent"
#define GOAL "Reply to the customer's ticket"
#define RESOLVES_PER_RIG 10000u
#define RESOLVES_PER_SESSION 1000u
#define MAX_SESSIONS 64u
#define REQUEST_CAP 512u
#define WAIT_MS 60000u

/* ----- failing loudly: a benchmark that hides an error measures nothing ----- */

static void die(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fputs("cra_bench: ", stderr);
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static void check(cra_status status, cra_error *err, const char *what) {
  if (status != CRA_OK) {
    die("%s failed: %s: %s", what, cra_status_name(status),
        err ? cra_error_message(err) : "(no details)");
  }
  cra_error_free(err);
}

/* Calls a fallible cra_* function (its error out-parameter is added as the
 * last argument) and dies with the error's message when it fails. */
#define CHECK(fn, ...)                           \
  do {                                           \
    cra_error *err_ = NULL;                      \
    cra_status st_ = fn(__VA_ARGS__, &err_);     \
    check(st_, err_, #fn);                       \
  } while (0)

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ----- samples and their summary ----- */

typedef struct {
  uint64_t *ns;
  size_t len, cap;
} samples;

static void samples_push(samples *s, uint64_t ns) {
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4096;
    s->ns = realloc(s->ns, s->cap * sizeof *s->ns);
    if (!s->ns) die("out of memory");
  }
  s->ns[s->len++] = ns;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples: the smallest value that at
 * least q of the samples do not exceed. */
static uint64_t percentile(const samples *s, double q) {
  size_t rank = (size_t)(q * (double)s->len + 0.999999);
  if (rank == 0) rank = 1;
  if (rank > s->len) rank = s->len;
  return s->ns[rank - 1];
}

/* ----- the JSON report ----- */

static FILE *json_out;
static bool first_figure = true;

static void figure_begin(const char *id, const char *kind, const char *unit) {
  fprintf(json_out, "%s\n    {\"id\": \"%s\", \"kind\": \"%s\", \"unit\": \"%s\"",
          first_figure ? "" : ",", id, kind, unit);
  first_figure = false;
}

static void figure_end(void) { fputs("}", json_out); }

/* A latency figure in nanoseconds, from per-call samples (sorted here). */
static void report_latency(const char *id, samples *s, const char *what) {
  if (s->len == 0) die("%s: no samples", id);
  qsort(s->ns, s->len, sizeof *s->ns, cmp_u64);
  double sum = 0;
  for (size_t i = 0; i < s->len; i++) sum += (double)s->ns[i];
  figure_begin(id, "latency", "ns");
  fprintf(json_out,
          ", \"what\": \"%s\", \"samples\": %zu, \"median\": %llu, \"p99\": %llu, "
          "\"p999\": %llu, \"mean\": %.1f, \"min\": %llu, \"max\": %llu",
          what, s->len, (unsigned long long)percentile(s, 0.5),
          (unsigned long long)percentile(s, 0.99), (unsigned long long)percentile(s, 0.999),
          sum / (double)s->len, (unsigned long long)s->ns[0],
          (unsigned long long)s->ns[s->len - 1]);
  figure_end();
  fprintf(stderr, "%-34s median %8.2f us  p99 %8.2f us  p99.9 %8.2f us  (%zu samples)\n", id,
          (double)percentile(s, 0.5) / 1e3, (double)percentile(s, 0.99) / 1e3,
          (double)percentile(s, 0.999) / 1e3,
          s->len);
  s->len = 0;
}

/* A throughput figure from repeated runs: rates[i] = units / seconds. */
static void report_throughput(const char *id, const char *unit, double *rates, size_t n,
                              const char *what) {
  qsort(rates, n, sizeof *rates, cmp_double);
  figure_begin(id, "throughput", unit);
  fprintf(json_out, ", \"what\": \"%s\", \"runs\": %zu, \"median\": %.0f, \"min\": %.0f, \"max\": %.0f",
          what, n, rates[n / 2], rates[0], rates[n - 1]);
  figure_end();
  fprintf(stderr, "%-34s median %12.0f %s (min %.0f, max %.0f, %zu runs)\n", id, rates[n / 2],
          unit, rates[0], rates[n - 1], n);
}

/* ----- the workload ----- */

static char *atlas_json[2]; /* A, B */
static size_t atlas_len[2];
static const unsigned events_per_resolve[2] = {8, 54};
static const char *atlas_name[2] = {"A", "B"};
static char timestamp[32]; /* RFC 3339 "now", set per rig: requests stay within the 300 s skew */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die("%s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) die("%s: cannot read", path);
  fclose(f);
  text[size] = '\0';
  *len = (size_t)size;
  return text;
}

static void set_timestamp(void) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(timestamp, sizeof timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The benchmark request; the same bytes as benches/common/mod.rs writes. */
static size_t write_request(char *out, const char *session_id, unsigned long long number) {
  int len = snprintf(out, REQUEST_CAP,
                     "{\"carp_version\":\"1.0\",\"request_id\":\"req-%llu\","
                     "\"timestamp\":\"%s\",\"operation\":\"resolve\","
                     "\"requester\":{\"agent_id\":\"" AGENT "\",\"session_id\":\"%s\"},"
                     "\"task\":{\"goal\":\"" GOAL "\",\"risk_tier\":\"low\"}}",
                     number, timestamp, session_id);
  if (len < 0 || (size_t)len >= REQUEST_CAP) die("request too long");
  return (size_t)len;
}

/* A resolver with one atlas loaded and some sessions begun. */
typedef struct {
  cra_resolver *r;
  char sessions[MAX_SESSIONS][CRA_ID_BUF_LEN];
  unsigned session_count;
  unsigned long long next_request;
} rig;

static cra_config config_for(uint32_t mode) {
  cra_config cfg;
  cra_config_init(&cfg);
  cfg.trace_mode = mode;
  /* Big enough for a whole rig (10 000 resolves of atlas B), so the hot
   * path never meets backpressure. */
  cfg.buffer_capacity = 1u << 20;
  return cfg;
}

static void rig_open(rig *g, const cra_config *cfg, int atlas, unsigned sessions) {
  if (sessions > MAX_SESSIONS) die("too many sessions");
  memset(g, 0, sizeof *g);
  set_timestamp();
  CHECK(cra_resolver_new, cfg, &g->r);
  CHECK(cra_load_atlas, g->r, atlas_json[atlas], atlas_len[atlas]);
  for (unsigned i = 0; i < sessions; i++) CHECK(cra_session_begin, g->r, AGENT, GOAL, g->sessions[i]);
  g->session_count = sessions;
}

static void rig_close(rig *g) {
  CHECK(cra_flush_traces, g->r, WAIT_MS);
  cra_resolver_free(g->r);
  g->r = NULL;
}

/* One resolve; the resolution is freed, as a host does. */
static void resolve_one(rig *g, const char *request, size_t len) {
  cra_buf out = {0};
  CHECK(cra_resolve, g->r, request, len, &out);
  cra_buf_free(&out);
}

/* ----- figures ----- */

static void timer_overhead(size_t n) {
  samples s = {0};
  for (size_t i = 0; i < n; i++) {
    uint64_t t0 = now_ns();
    uint64_t t1 = now_ns();
    samples_push(&s, t1 - t0);
  }
  report_latency("c.timer_overhead", &s, "two back-to-back clock_gettime(CLOCK_MONOTONIC) calls");
  free(s.ns);
}

/* cra_resolve alone, one sample per call; the request is written before
 * the clock starts, the deferred processor is flushed after each rig. */
static void resolve_latency(uint32_t mode, int atlas, size_t n) {
  samples s = {0};
  char request[REQUEST_CAP];
  cra_config cfg = config_for(mode);
  for (size_t done = 0; done < n;) {
    size_t chunk = n - done < RESOLVES_PER_RIG ? n - done : RESOLVES_PER_RIG;
    rig g;
    rig_open(&g, &cfg, atlas, (unsigned)((chunk + RESOLVES_PER_SESSION - 1) / RESOLVES_PER_SESSION));
    for (size_t i = 0; i < chunk; i++) {
      size_t len = write_request(request, g.sessions[i / RESOLVES_PER_SESSION], g.next_request++);
      uint64_t t0 = now_ns();
      resolve_one(&g, request, len);
      samples_push(&s, now_ns() - t0);
    }
    rig_close(&g);
    done += chunk;
  }
  char id[64];
  snprintf(id, sizeof id, "c.resolve.%s.%s", mode == CRA_TRACE_IMMEDIATE ? "immediate" : "deferred",
           atlas_name[atlas]);
  report_latency(id, &s,
                 mode == CRA_TRACE_IMMEDIATE
                     ? "cra_resolve, events hashed, chained and stored before it returns"
                     : "cra_resolve hot path: events queued for the processor");
  free(s.ns);
}

/* One resolve then cra_await_trace_ready on its session, timed together. */
static void resolve_await_latency(size_t n) {
  samples s = {0};
  char request[REQUEST_CAP];
  cra_config cfg = config_for(CRA_TRACE_DEFERRED);
  for (size_t done = 0; done < n;) {
    size_t chunk = n - done < RESOLVES_PER_SESSION ? n - done : RESOLVES_PER_SESSION;
    rig g;
    rig_open(&g, &cfg, 0, 1);
    for (size_t i = 0; i < chunk; i++) {
      size_t len = write_request(request, g.sessions[0], g.next_request++);
      uint64_t t0 = now_ns();
      resolve_one(&g, request, len);
      CHECK(cra_await_trace_ready, g.r, g.sessions[0], WAIT_MS);
      samples_push(&s, now_ns() - t0);
    }
    rig_close(&g);
    done += chunk;
  }
  report_latency("c.deferred.resolve_await.A", &s,
                 "cra_resolve then cra_await_trace_ready on its session (deferred)");
  free(s.ns);
}

/* Bursts of 100 resolves then one cra_flush_traces, one sample per burst.
 * In immediate mode the flush returns at once: the comparison point. */
static void burst_latency(uint32_t mode, size_t bursts) {
  enum { BURST = 100 };
  samples s = {0};
  static char requests[BURST][REQUEST_CAP];
  size_t lens[BURST];
  cra_config cfg = config_for(mode);
  const size_t per_rig = RESOLVES_PER_SESSION / BURST;
  for (size_t done = 0; done < bursts;) {
    size_t chunk = bursts - done < per_rig ? bursts - done : per_rig;
    rig g;
    rig_open(&g, &cfg, 0, 1);
    for (size_t b = 0; b < chunk; b++) {
      for (size_t i = 0; i < BURST; i++) lens[i] = write_request(requests[i], g.sessions[0], g.next_request++);
      uint64_t t0 = now_ns();
      for (size_t i = 0; i < BURST; i++) resolve_one(&g, requests[i], lens[i]);
      CHECK(cra_flush_traces, g.r, WAIT_MS);
      samples_push(&s, now_ns() - t0);
    }
    rig_close(&g);
    done += chunk;
  }
  report_latency(mode == CRA_TRACE_DEFERRED ? "c.deferred.burst100_flush.A" : "c.immediate.burst100.A", &s,
                 mode == CRA_TRACE_DEFERRED ? "100 cra_resolve then one cra_flush_traces (deferred)"
                                            : "100 cra_resolve (immediate; the flush is a no-op)");
  free(s.ns);
}

/* Spins until the processor thread has stored every event emitted. A
 * sync point would seal what is left on this thread if it found the
 * processor idle, and the time measured would not be the processor's. */
static void wait_for_processor(rig *g) {
  for (;;) {
    cra_stats stats;
    CHECK(cra_stats_get, g->r, &stats);
    if (stats.events_processed >= stats.events_emitted) return;
    for (volatile int i = 0; i < 64; i++) {
    }
  }
}

/* The processor under saturation: hold it, queue a burst of resolves,
 * release it and time until the counters show every event stored. */
static void processor_throughput(int atlas, size_t runs, size_t resolves) {
  double *rates = calloc(runs, sizeof *rates);
  char request[REQUEST_CAP];
  cra_config cfg = config_for(CRA_TRACE_DEFERRED);
  for (size_t run = 0; run < runs; run++) {
    rig g;
    rig_open(&g, &cfg, atlas, (unsigned)((resolves + RESOLVES_PER_SESSION - 1) / RESOLVES_PER_SESSION));
    CHECK(cra_test_hold_processor, g.r, true);
    for (size_t i = 0; i < resolves; i++) {
      size_t len = write_request(request, g.sessions[i / RESOLVES_PER_SESSION], g.next_request++);
      resolve_one(&g, request, len);
    }
    uint64_t t0 = now_ns();
    CHECK(cra_test_hold_processor, g.r, false);
    wait_for_processor(&g);
    uint64_t elapsed = now_ns() - t0;
    rates[run] = (double)(resolves * events_per_resolve[atlas]) * 1e9 / (double)elapsed;
    rig_close(&g);
  }
  char id[64];
  snprintf(id, sizeof id, "c.processor.%s", atlas_name[atlas]);
  report_throughput(id, "events/s", rates, runs,
                    "deferred processor draining a full buffer: events formatted, hashed, chained and stored per second");
  free(rates);
}

/* cra_verify_chain and cra_verify_jsonl over one session of 1 000 resolves. */
static void verify_throughput(size_t runs) {
  double *chain_rates = calloc(runs, sizeof *chain_rates);
  double *jsonl_rates = calloc(runs, sizeof *jsonl_rates);
  char request[REQUEST_CAP];
  cra_config cfg = config_for(CRA_TRACE_IMMEDIATE);
  rig g;
  rig_open(&g, &cfg, 0, 1);
  for (size_t i = 0; i < RESOLVES_PER_SESSION; i++) {
    size_t len = write_request(request, g.sessions[0], g.next_request++);
    resolve_one(&g, request, len);
  }
  cra_buf jsonl = {0};
  CHECK(cra_get_trace, g.r, g.sessions[0], CRA_TRACE_WAIT, WAIT_MS, &jsonl);
  const uint64_t events = 1 + RESOLVES_PER_SESSION * events_per_resolve[0];
  for (size_t run = 0; run < runs; run++) {
    cra_verify_report report;
    uint64_t t0 = now_ns();
    CHECK(cra_verify_chain, g.r, g.sessions[0], &report);
    uint64_t t1 = now_ns();
    if (report.events != events) die("verify_chain checked %llu events", (unsigned long long)report.events);
    chain_rates[run] = (double)events * 1e9 / (double)(t1 - t0);
    t0 = now_ns();
    CHECK(cra_verify_jsonl, jsonl.data, jsonl.len, &report);
    t1 = now_ns();
    if (report.events != events) die("verify_jsonl checked %llu events", (unsigned long long)report.events);
    jsonl_rates[run] = (double)events * 1e9 / (double)(t1 - t0);
  }
  cra_buf_free(&jsonl);
  rig_close(&g);
  report_throughput("c.verify_chain.A", "events/s", chain_rates, runs,
                    "cra_verify_chain over a stored session of 8 001 events");
  report_throughput("c.verify_jsonl.A", "events/s", jsonl_rates, runs,
                    "cra_verify_jsonl over the same session exported as JSON Lines");
  free(chain_rates);
  free(jsonl_rates);
}

/* ----- swarm: sustained deferred throughput with many producers ----- */

typedef struct {
  cra_resolver *r;
  const char *session;
  pthread_barrier_t *start;
  atomic_bool *stop;
  unsigned long long resolves;
  unsigned long long backpressure; /* refusals (block timeout ran out); retried */
} producer;

static void *produce(void *arg) {
  producer *p = arg;
  char request[REQUEST_CAP];
  pthread_barrier_wait(p->start);
  while (!atomic_load_explicit(p->stop, memory_order_relaxed)) {
    size_t len = write_request(request, p->session, p->resolves);
    cra_buf out = {0};
    cra_error *err = NULL;
    cra_status st = cra_resolve(p->r, request, len, &out, &err);
    if (st == CRA_OK) {
      p->resolves++;
      cra_buf_free(&out);
    } else if (st == CRA_ERR_BACKPRESSURE) {
      /* Nothing was recorded: the same request is retried. */
      p->backpressure++;
      cra_error_free(err);
    } else {
      check(st, err, "cra_resolve (swarm)");
    }
  }
  return NULL;
}

/* `threads` producers, each on its own session, resolve back to back in
 * deferred mode with the default buffer (4096 events) in block mode, so
 * producers wait for the processor instead of failing. The run is cut in
 * segments, each on a fresh resolver (the in-memory store would otherwise
 * hold tens of millions of events); a segment's time runs from the start
 * barrier until cra_flush_traces sees every event stored. After each
 * segment: emitted = processed (nothing lost), and every session's chain
 * verifies with exactly the expected number of events. */
static void swarm(unsigned threads, unsigned segments, double segment_seconds) {
  double *rates = calloc(segments, sizeof *rates);
  unsigned long long total_resolves = 0, total_backpressure = 0, total_events = 0;
  unsigned long long lost = 0, chains_ok = 0, chains = 0;
  double total_seconds = 0;
  cra_config cfg;
  cra_config_init(&cfg);
  cfg.trace_mode = CRA_TRACE_DEFERRED;
  cfg.backpressure = CRA_BACKPRESSURE_BLOCK;
  for (unsigned seg = 0; seg < segments; seg++) {
    rig g;
    rig_open(&g, &cfg, 0, threads);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, threads + 1);
    atomic_bool stop = false;
    producer *ps = calloc(threads, sizeof *ps);
    pthread_t *ids = calloc(threads, sizeof *ids);
    for (unsigned t = 0; t < threads; t++) {
      ps[t] = (producer){.r = g.r, .session = g.sessions[t], .start = &start, .stop = &stop};
      if (pthread_create(&ids[t], NULL, produce, &ps[t]) != 0) die("pthread_create");
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = now_ns();
    struct timespec pause = {(time_t)segment_seconds,
                             (long)((segment_seconds - (double)(time_t)segment_seconds) * 1e9)};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
    atomic_store(&stop, true);
    for (unsigned t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    CHECK(cra_flush_traces, g.r, WAIT_MS);
    double seconds = (double)(now_ns() - t0) / 1e9;

    unsigned long long resolves = 0;
    for (unsigned t = 0; t < threads; t++) {
      resolves += ps[t].resolves;
      total_backpressure += ps[t].backpressure;
      cra_verify_report report;
      cra_error *err = NULL;
      cra_status st = cra_verify_chain(g.r, g.sessions[t], &report, &err);
      cra_error_free(err);
      chains++;
      if (st == CRA_OK && report.pending == 0 && report.events == 1 + ps[t].resolves * events_per_resolve[0])
        chains_ok++;
    }
    cra_stats stats;
    CHECK(cra_stats_get, g.r, &stats);
    lost += stats.events_emitted - stats.events_processed;
    total_events += stats.events_processed;
    rates[seg] = (double)resolves / seconds;
    total_resolves += resolves;
    total_seconds += seconds;
    rig_close(&g);
    pthread_barrier_destroy(&start);
    free(ps);
    free(ids);
  }
  char id[64];
  snprintf(id, sizeof id, "c.swarm.%u", threads);
  double overall = (double)total_resolves / total_seconds;
  qsort(rates, segments, sizeof *rates, cmp_double);
  figure_begin(id, "throughput", "resolves/s");
  fprintf(json_out,
          ", \"what\": \"%u producer thread(s), deferred, default 4096-event buffer in block mode, "
          "sustained until every event is stored\", \"threads\": %u, \"segments\": %u, "
          "\"seconds\": %.3f, \"median\": %.0f, \"min\": %.0f, \"max\": %.0f, \"overall\": %.0f, "
          "\"resolves\": %llu, \"events_processed\": %llu, \"events_lost\": %llu, "
          "\"backpressure_retries\": %llu, \"chains\": %llu, \"chains_verified\": %llu",
          threads, threads, segments, total_seconds, rates[segments / 2], rates[0],
          rates[segments - 1], overall, total_resolves, total_events, lost, total_backpressure,
          chains, chains_ok);
  figure_end();
  fprintf(stderr,
          "%-34s %10.0f resolves/s over %.1f s (segments %.0f..%.0f), lost %llu, chains %llu/%llu verified, %llu backpressure retries\n",
          id, overall, total_seconds, rates[0], rates[segments - 1], lost, chains_ok, chains,
          total_backpressure);
  free(rates);
}

/* ----- main ----- */

int main(int argc, char **argv) {
  const char *data = "bench/data";
  const char *out = NULL;
  bool quick = false;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--quick") == 0) quick = true;
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else die("usage: cra_bench [--data DIR] [--out FILE] [--quick] [--only GROUP]");
  }
  if (cra_abi_version() != CRA_ABI_VERSION) die("libcra ABI %u, expected %u", cra_abi_version(), CRA_ABI_VERSION);
  char path[4096];
  snprintf(path, sizeof path, "%s/atlas-a.json", data);
  atlas_json[0] = read_file(path, &atlas_len[0]);
  snprintf(path, sizeof path, "%s/atlas-b.json", data);
  atlas_json[1] = read_file(path, &atlas_len[1]);

  json_out = out ? fopen(out, "w") : stdout;
  if (!json_out) die("%s: %s", out, strerror(errno));
  fprintf(json_out, "{\n  \"host\": \"examples/bench.c\",\n  \"library_version\": \"%s\",\n  \"quick\": %s,\n  \"figures\": [",
          cra_version(), quick ? "true" : "false");

#define RUN(group) (!only || strcmp(only, group) == 0)
  const size_t scale = quick ? 10 : 1;
  if (RUN("resolve")) {
    timer_overhead(100000 / scale);
    resolve_latency(CRA_TRACE_IMMEDIATE, 0, 100000 / scale);
    resolve_latency(CRA_TRACE_DEFERRED, 0, 100000 / scale);
    resolve_latency(CRA_TRACE_IMMEDIATE, 1, 20000 / scale);
    resolve_latency(CRA_TRACE_DEFERRED, 1, 20000 / scale);
  }
  if (RUN("sync")) {
    resolve_await_latency(20000 / scale);
    burst_latency(CRA_TRACE_DEFERRED, 2000 / scale);
    burst_latency(CRA_TRACE_IMMEDIATE, 2000 / scale);
  }
  if (RUN("processor")) {
    processor_throughput(0, quick ? 2 : 10, 10000);
    processor_throughput(1, quick ? 2 : 10, 2000);
  }
  if (RUN("verify")) verify_throughput(quick ? 5 : 20);
  if (RUN("swarm")) {
    const unsigned producers[] = {1, 2, 8};
    for (size_t i = 0; i < sizeof producers / sizeof *producers; i++)
      swarm(producers[i], quick ? 2 : 10, quick ? 0.25 : 1.0);
  }
#undef RUN

  fputs("\n  ]\n}\n", json_out);
  if (out) fclose(json_out);
  free(atlas_json[0]);
  free(atlas_json[1]);
  return 0;
}
