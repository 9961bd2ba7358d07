/* common.h: what the fuzz targets share: the engine wants model bytes 32-byte
 * aligned, and a model that loads is then used a little (summary,
 * tokenization, one short generation) so that inconsistent shapes or
 * vocabularies that slipped through the loader's checks show up as memory
 * errors under AddressSanitizer. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"

static inline void *aligned_copy(const uint8_t *data, size_t size)
{
    void *buf = aligned_alloc(32, (size + 31) / 32 * 32 + 32);
    if (!buf)
        abort();
    memcpy(buf, data, size);
    return buf;
}

/* Models this small run a forward pass in microseconds; bigger ones (e.g. a
 * mutated real header claiming SmolLM2's shapes) only get the cheap checks. */
#define FUZZ_MAX_PARAMS 2000000u

static inline void exercise_model(llm_model *m)
{
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    char err[256];
    int32_t ids[64];
    static const char text[] = "Once upon a time, <|im_end|> \xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xf0\x9f\x90\xa7 42!";
    if (info.has_tokenizer)
        llm_tokenize(m, text, sizeof text - 1, 1, ids, 64, err, sizeof err);
    if (info.n_params > FUZZ_MAX_PARAMS)
        return;
    struct llm_settings st;
    llm_settings_default(&st);
    st.ctx = 8;
    st.max_tokens = 3;
    st.sampling.temperature = 0;
    llm_session *s = llm_session_create(m, &st, err, sizeof err);
    if (!s)
        return;
    int32_t prompt[2] = {0, (int32_t)(info.n_vocab ? info.n_vocab - 1 : 0)};
    struct llm_result res;
    llm_generate_ids(s, prompt, 2, NULL, NULL, &res, err, sizeof err);
    llm_session_free(s);
}

/* Every loading target's step: llm_load the bytes (with a tokenizer.bin when
 * tok is not NULL) and use and free the model when it loads. */
static inline void load_and_exercise(const void *model, size_t size, const void *tok, size_t tok_size)
{
    char err[256];
    llm_model *m = llm_load(model, size, tok, tok_size, err, sizeof err);
    if (m) {
        exercise_model(m);
        llm_model_free(m);
    }
}

#endif
