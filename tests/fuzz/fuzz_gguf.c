/* fuzz_gguf.c: libFuzzer target for the GGUF reader (llm/formats/gguf.c) and the GGUF
 * model loader behind llm_load (config, tensor mapping, tokenizer). */
#include "common.h"
#include "formats/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = aligned_copy(data, size);
    char err[256];
    struct gguf_file f;
    if (gguf_open(&f, buf, size, err, sizeof err) == 0) {
        /* Read every string array back, as the tokenizer loader does. */
        for (uint32_t i = 0; i < f.n_kv; i++) {
            const struct gguf_kv *kv = &f.kv[i];
            if (kv->type == GGUF_ARRAY && kv->arr_type == GGUF_STRING) {
                struct gguf_str *s = malloc(((size_t)kv->arr_count + 1) * sizeof *s);
                gguf_array_strings(kv, s);
                free(s);
            }
        }
        gguf_close(&f);
        load_and_exercise(buf, size, NULL, 0);
    }
    free(buf);
    return 0;
}
