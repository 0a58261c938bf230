/*
 * abi_layout.h — ABI.md's numbers, checked at compile time.
 *
 * The C ABI is frozen: these values and layouts may never change while
 * cra_abi_version() is 1. Included by a C11 and a C++17 test, so the header
 * is also proven to compile cleanly in both languages.
 */
#ifndef CRA_TEST_ABI_LAYOUT_H
#define CRA_TEST_ABI_LAYOUT_H

#include "cra.h"

#ifdef __cplusplus
#include <cassert>
#include <cstddef>
#else
#include <assert.h> /* static_assert */
#include <stddef.h>
#endif

static_assert(CRA_ABI_VERSION == 1, "ABI version");
static_assert(CRA_ID_BUF_LEN == 37, "session id buffer");

static_assert(sizeof(cra_status) == 4, "cra_status is int32_t");
static_assert(CRA_OK == 0 && CRA_ERR_INVALID_ARGUMENT == 1 && CRA_ERR_INVALID_JSON == 2 &&
                  CRA_ERR_INVALID_ATLAS == 3 && CRA_ERR_INVALID_REQUEST == 4 && CRA_ERR_NOT_FOUND == 5 &&
                  CRA_ERR_CONFLICT == 6 && CRA_ERR_SESSION_ENDED == 7 && CRA_ERR_PERMISSION == 8 &&
                  CRA_ERR_BACKPRESSURE == 9 && CRA_ERR_TIMEOUT == 10 && CRA_ERR_CHAIN_INVALID == 11 &&
                  CRA_ERR_IO == 12 && CRA_ERR_SHUTDOWN == 13 && CRA_ERR_INTERNAL == 14,
              "status codes");

static_assert(CRA_TRACE_IMMEDIATE == 0 && CRA_TRACE_DEFERRED == 1, "trace modes");
static_assert(CRA_BACKPRESSURE_ERROR == 0 && CRA_BACKPRESSURE_BLOCK == 1, "backpressure");
static_assert(CRA_TRACE_WAIT == 0 && CRA_TRACE_PARTIAL == 1, "get_trace flags");
static_assert(CRA_CHAIN_VALID == 0 && CRA_CHAIN_MALFORMED == 1 && CRA_CHAIN_SEQUENCE_GAP == 2 &&
                  CRA_CHAIN_BROKEN == 3 && CRA_CHAIN_HASH_MISMATCH == 4 && CRA_CHAIN_SESSION_MISMATCH == 5,
              "chain failures");
static_assert(CRA_CHAIN_TRUNCATED == 6 && CRA_CHAIN_HEAD_MISMATCH == 7, "chain failures against a head");

static_assert(CRA_TRACE_RESOLVER_DEFAULT == 2, "per-session trace mode");
static_assert(sizeof(cra_session_options) == 8 && offsetof(cra_session_options, trace_mode) == 4,
              "cra_session_options");
static_assert(CRA_OUTCOME_EXECUTED == 0 && CRA_OUTCOME_FAILED == 1, "report outcomes");
static_assert(offsetof(cra_resolve_request, session_id) == sizeof(void *) &&
                  offsetof(cra_check_request, parameters_len) == 7 * sizeof(void *) &&
                  offsetof(cra_report_request, duration_ms) == 5 * sizeof(void *) + 8,
              "request writer structs");

static_assert(sizeof(cra_buf) == sizeof(char *) + sizeof(size_t), "cra_buf");
static_assert(offsetof(cra_buf, len) == sizeof(char *), "cra_buf.len");

static_assert(sizeof(cra_config) == 32, "cra_config: eight uint32_t");
static_assert(offsetof(cra_config, struct_size) == 0 && offsetof(cra_config, trace_mode) == 4 &&
                  offsetof(cra_config, buffer_capacity) == 8 && offsetof(cra_config, backpressure) == 12 &&
                  offsetof(cra_config, block_timeout_ms) == 16 && offsetof(cra_config, ttl_seconds) == 20 &&
                  offsetof(cra_config, clock_skew_seconds) == 24 &&
                  offsetof(cra_config, shutdown_timeout_ms) == 28,
              "cra_config field order");

static_assert(offsetof(cra_verify_report, events) == 0 && offsetof(cra_verify_report, pending) == 8 &&
                  offsetof(cra_verify_report, first_bad_index) == 16 &&
                  offsetof(cra_verify_report, failure) == 24 && offsetof(cra_verify_report, head_hash) == 28 &&
                  sizeof(((cra_verify_report *)0)->head_hash) == 65,
              "cra_verify_report layout");

static_assert(sizeof(cra_stats) == 7 * 8 && offsetof(cra_stats, events_emitted) == 0 &&
                  offsetof(cra_stats, events_processed) == 8 && offsetof(cra_stats, events_rejected) == 16 &&
                  offsetof(cra_stats, queue_depth) == 24 && offsetof(cra_stats, queue_capacity) == 32 &&
                  offsetof(cra_stats, queue_high_water) == 40 && offsetof(cra_stats, sessions_active) == 48,
              "cra_stats layout");

static_assert(sizeof(cra_store_stats) == 7 * 8 && offsetof(cra_store_stats, events_durable) == 0 &&
                  offsetof(cra_store_stats, events_waiting) == 8 && offsetof(cra_store_stats, commits) == 16 &&
                  offsetof(cra_store_stats, write_errors) == 24 &&
                  offsetof(cra_store_stats, sessions_in_memory) == 32 &&
                  offsetof(cra_store_stats, sessions_evicted) == 40 &&
                  offsetof(cra_store_stats, resident_event_bytes) == 48,
              "cra_store_stats layout");

/* 8 + 65 bytes, padded to the alignment of uint64_t (8 on the 64-bit targets built here). */
static_assert(sizeof(cra_head) == 80 && offsetof(cra_head, events) == 0 && offsetof(cra_head, head_hash) == 8 &&
                  sizeof(((cra_head *)0)->head_hash) == 65,
              "cra_head layout");

#endif
