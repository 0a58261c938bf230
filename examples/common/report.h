/*
 * report.h — how the examples report a failed libcra call.
 *
 * Every fallible libcra function returns a cra_status and, through its last
 * parameter, a cra_error holding the message. A call site reads:
 *
 *     cra_error *err = NULL;
 *     cra_status status = cra_load_atlas_file(resolver, path, &err);
 *     if (call_failed("cra_load_atlas_file", status, err))
 *         goto done;
 */
#ifndef CRA_EXAMPLE_REPORT_H
#define CRA_EXAMPLE_REPORT_H

#include <stdbool.h>

#include "cra.h"

/* When status is not CRA_OK, prints to stderr
 *     cra_resolve: CRA_ERR_INVALID_REQUEST (4): /task/goal: must not be empty
 * (the message comes from err; err may be NULL). Frees err in every case,
 * so the caller never has to. Returns whether the call failed. */
bool call_failed(const char *what, cra_status status, cra_error *err);

#endif
