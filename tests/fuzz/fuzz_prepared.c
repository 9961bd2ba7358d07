/* fuzz_prepared.c: libFuzzer target for the prepared-weights reader
 * (llm/formats/prepared.c): each input is a prepared-weights file offered
 * to a load of one fixed small model (the GGUF at $FUZZ_PREPARED_MODEL,
 * written by tests/fuzz/seeds.py), read through a callback as the OS reads
 * its disk. Whatever the input, the load must succeed (with the file's
 * weights or its own) and the model must run. */
#include <stdio.h>

#include "common.h"

static struct {
    void *bytes;
    size_t size;
} model;

static void read_model(void)
{
    const char *path = getenv("FUZZ_PREPARED_MODEL");
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "fuzz_prepared: set FUZZ_PREPARED_MODEL to a readable GGUF file\n");
        abort();
    }
    model.size = (size_t)ftell(f);
    model.bytes = aligned_alloc(32, (model.size + 31) / 32 * 32 + 32);
    if (!model.bytes || fseek(f, 0, SEEK_SET) != 0 || fread(model.bytes, 1, model.size, f) != model.size)
        abort();
    fclose(f);
}

struct input {
    const uint8_t *data;
    size_t size;
};

static int read_input(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errlen)
{
    const struct input *in = ctx;
    if (offset > in->size || len > in->size - offset) {
        snprintf(err, errlen, "read past the end");
        return -1;
    }
    memcpy(buf, in->data + offset, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model.bytes)
        read_model();
    struct input in = { data, size };
    struct llm_file file = { model.size, model.bytes, NULL, NULL }, prepared = { size, NULL, read_input, &in };
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.prepared = &prepared;
    char err[256];
    llm_model *m = llm_load_file(&file, &opt, err, sizeof err);
    if (!m) {
        fprintf(stderr, "fuzz_prepared: the model did not load: %s\n", err);
        abort();
    }
    if (!opt.prepared_used && !opt.prepared_note[0])
        abort(); /* refused without saying why */
    exercise_model(m);
    llm_model_free(m);
    return 0;
}
