/*
 * files.h — reading and writing whole files, for the examples' JSON inputs
 * and trace outputs.
 */
#ifndef CRA_EXAMPLE_FILES_H
#define CRA_EXAMPLE_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* Reads the file at path into a new buffer followed by a NUL, which the
 * caller frees with free(); *len (when not NULL) receives the length
 * without the NUL. Returns NULL, after printing why to stderr, when the
 * file cannot be read. */
char *read_file(const char *path, size_t *len);

/* Writes len bytes of data to path, replacing the file. Returns false,
 * after printing why to stderr, when it cannot. */
bool write_file(const char *path, const char *data, size_t len);

#endif
