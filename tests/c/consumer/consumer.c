/* A minimal host: the installed header and library agree, and a resolver
 * can be created and verify a chain. */
#include <stdio.h>

#include <cra.h>

int main(void)
{
    if (cra_abi_version() != CRA_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %d\n", cra_abi_version(), CRA_ABI_VERSION);
        return 1;
    }
    cra_resolver *resolver = NULL;
    cra_error *err = NULL;
    cra_status status = cra_resolver_new(NULL, &resolver, &err);
    if (status == CRA_OK) {
        char session_id[CRA_ID_BUF_LEN];
        status = cra_session_begin(resolver, "consumer", "link against the install", session_id, &err);
    }
    if (status != CRA_OK) {
        fprintf(stderr, "%s: %s\n", cra_status_name(status), cra_error_message(err));
        cra_error_free(err);
        cra_resolver_free(resolver);
        return 1;
    }
    cra_resolver_free(resolver);
    printf("consumer: libcra %s, ABI %u\n", cra_version(), cra_abi_version());
    return 0;
}
