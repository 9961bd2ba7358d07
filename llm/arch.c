/* arch.c: the table of transformer families (arch.h). Each row is what
 * llama.cpp's graph for that architecture does differently from llama's. */
#include "arch.h"

#include "platform.h"

static const struct model_arch ARCHES[] = {
    { "llama", 0, 0, 0, 0, 0, FFN_SWIGLU, 0, 0.0f },
    { "qwen2", 1, 1, 0, 0, 0, FFN_SWIGLU, 0, 0.0f },
    { "gemma3", 1, 0, 1, 1, 1, FFN_GEGLU, 6, 10000.0f },
};

const struct model_arch *arch_find(const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < sizeof ARCHES / sizeof ARCHES[0]; i++)
        if (strlen(ARCHES[i].name) == len && memcmp(ARCHES[i].name, name, len) == 0)
            return &ARCHES[i];
    return NULL;
}

