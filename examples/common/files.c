#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t size = 0;
    size_t capacity = 4096;
    char *data = malloc(capacity);
    while (data != NULL) {
        size += fread(data + size, 1, capacity - size - 1, file);
        if (size < capacity - 1)
            break; /* end of file or an error: ferror() tells below */
        char *bigger = realloc(data, capacity * 2);
        if (bigger == NULL) {
            free(data);
            data = NULL;
        } else {
            data = bigger;
            capacity *= 2;
        }
    }
    if (data == NULL || ferror(file)) {
        fprintf(stderr, "cannot read %s: %s\n", path, data == NULL ? "out of memory" : strerror(errno));
        free(data);
        fclose(file);
        return NULL;
    }
    fclose(file);
    data[size] = '\0';
    if (len != NULL)
        *len = size;
    return data;
}

bool write_file(const char *path, const char *data, size_t len)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        return false;
    }
    bool written = fwrite(data, 1, len, file) == len;
    /* fclose flushes: a full disk shows up here, not in fwrite. */
    if (fclose(file) != 0)
        written = false;
    if (!written)
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    return written;
}
