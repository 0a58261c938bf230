/*
 * header_c11.c — cra.h compiles as strict C11 (-std=c11 -Wall -Wextra
 * -Werror -pedantic) and has ABI.md's values and layouts; the loaded
 * library is the ABI this header describes.
 */
#include <stdio.h>

#include "abi_layout.h"

int main(void)
{
    if (cra_abi_version() != CRA_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %d\n", cra_abi_version(), CRA_ABI_VERSION);
        return 1;
    }
    printf("cra.h: C11, ABI %d, libcra %s\n", CRA_ABI_VERSION, cra_version());
    return 0;
}
