#include "report.h"

#include <stdio.h>

bool call_failed(const char *what, cra_status status, cra_error *err)
{
    if (status != CRA_OK) {
        /* cra_error_message(NULL) is "", so this also works without err. */
        fprintf(stderr, "%s: %s (%d): %s\n", what, cra_status_name(status), (int)status,
                cra_error_message(err));
    }
    cra_error_free(err); /* NULL (the success case) is fine */
    return status != CRA_OK;
}
