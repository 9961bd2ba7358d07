/* harness_file.h: reads a whole file for the engine's test harnesses.
 *
 * The buffer comes from llm_alloc (free it with llm_free), 64-byte aligned
 * as the engine wants model bytes, with a NUL after the data so text files
 * (vocabularies, templates) can be parsed as strings. NULL when the file
 * cannot be opened or read.
 */
#ifndef TESTS_LLM_HARNESS_FILE_H
#define TESTS_LLM_HARNESS_FILE_H

#include <stdio.h>

#include "platform.h"

static inline void *harness_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = llm_alloc((size_t)n + 1, 64)) != NULL) {
        if (fread(data, 1, (size_t)n, f) == (size_t)n) {
            data[n] = 0;
            *size = (size_t)n;
        } else {
            llm_free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

#endif
