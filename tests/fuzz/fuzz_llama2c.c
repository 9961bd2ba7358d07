/* fuzz_llama2c.c: libFuzzer target for the llama2.c .bin loader (the input is
 * the model file, without a tokenizer). */
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data, "GGUF", 4) == 0)
        return 0; /* that is fuzz_gguf's format */
    uint8_t *buf = aligned_copy(data, size);
    load_and_exercise(buf, size, NULL, 0);
    free(buf);
    return 0;
}
