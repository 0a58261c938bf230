/*
 * cra_testing.h — test hooks of libcra, for the tests of host programs and
 * bindings. Not part of the API that cra.h promises: never needed in
 * production, and a program that works only with these hooks is wrong.
 *
 * The symbols are exported by every libcra build of ABI version 1, so a
 * test links against the same library its program ships with.
 */
#ifndef CRA_TESTING_H
#define CRA_TESTING_H

#include "cra.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * While `hold` is true, the deferred trace processor of `r` stores
 * nothing: events queue up, sync points time out and a small buffer fills
 * deterministically, so a host can test its handling of
 * CRA_ERR_BACKPRESSURE and CRA_ERR_TIMEOUT. `hold` false lets the processor
 * go on (so does cra_resolver_free). No effect in immediate mode.
 *
 * Returns CRA_OK; CRA_ERR_INVALID_ARGUMENT when `r` is NULL;
 * CRA_ERR_SHUTDOWN once the resolver is being freed. `err` follows cra.h's
 * conventions.
 */
cra_status cra_test_hold_processor(struct cra_resolver *r, bool hold, struct cra_error **err);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* CRA_TESTING_H */
