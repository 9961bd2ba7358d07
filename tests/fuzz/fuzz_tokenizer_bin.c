/* fuzz_tokenizer_bin.c: libFuzzer target for llama2.c tokenizer.bin loading:
 * the input is the tokenizer file, paired with a fixed tiny llama2.c model of
 * 512 tokens (the size of the seed tokenizers); a tokenizer that loads then
 * encodes text and decodes a short generation. */
#include "common.h"

enum { DIM = 8, HIDDEN = 16, LAYERS = 1, HEADS = 2, VOCAB = 512, SEQ = 16 };

/* A llama2.c .bin: 7-int header, then float tensors (all 0.5 here, so the
 * forward pass is well defined). */
static uint8_t *tiny_model(size_t *size)
{
    size_t head = DIM / HEADS;
    size_t floats = (size_t)VOCAB * DIM + LAYERS * (2 * DIM + 4 * DIM * DIM + 3 * DIM * HIDDEN) + DIM + SEQ * head;
    *size = 28 + floats * 4;
    uint8_t *p = aligned_alloc(32, (*size + 31) / 32 * 32);
    int32_t hdr[7] = {DIM, HIDDEN, LAYERS, HEADS, HEADS, VOCAB, SEQ};
    memcpy(p, hdr, sizeof hdr);
    float half = 0.5f;
    for (size_t i = 0; i < floats; i++)
        memcpy(p + 28 + i * 4, &half, 4);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *model;
    static size_t model_size;
    if (!model)
        model = tiny_model(&model_size);
    uint8_t *buf = aligned_copy(data, size);
    load_and_exercise(model, model_size, buf, size);
    free(buf);
    return 0;
}
