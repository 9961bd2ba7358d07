/* fuzz_probe.c: libFuzzer target for the header probe (llm_probe, in
 * llm/formats/probe.c) and the memory estimate. The input is a whole model
 * file; it is probed as the OS reads it, from a first part of varying length
 * and then as much as the probe asks for, each part in a buffer of exactly
 * that size (AddressSanitizer catches a read past it), and once more as the
 * first part of a file claimed larger than the input. A file that llm_load
 * accepts must probe to the same shape (abort otherwise: the probe would
 * refuse, or misdescribe, a loadable model). */
#include "common.h"

/* Probes the first bytes of data (file_size in all, of which `have` exist):
 * 0, 1 when it asked for bytes past `have`, -1 on error. */
static int probe_as_read(const uint8_t *data, size_t have, uint64_t file_size, size_t first, struct llm_probe *p)
{
    uint64_t want = first < file_size ? first : file_size;
    char err[256];
    for (int round = 0; round < 64; round++) {
        if (want > have)
            return 1;
        uint8_t *part = malloc(want ? (size_t)want : 1);
        if (!part)
            abort();
        memcpy(part, data, (size_t)want);
        int rc = llm_probe(part, (size_t)want, file_size, p, &want, err, sizeof err);
        free(part);
        if (rc != 1)
            return rc;
    }
    abort(); /* it kept asking: every answer must grow toward the file size */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llm_probe p, big;
    struct llm_memory need;
    size_t first = size % 4099; /* varies with the input, keeps the magic intact */
    int rc = probe_as_read(data, size, size, first, &p);
    if (rc == 0) {
        llm_memory_needed(&p, 64, 16, 0, &need);
        llm_memory_needed(&p, 1u << 20, 1u << 20, 1u << 20, &need);
    }
    probe_as_read(data, size, (uint64_t)size + 1 + size % 65537, first, &big);
    if (size > (1u << 20))
        return 0;
    uint8_t *buf = aligned_copy(data, size);
    char err[256];
    llm_model *m = llm_load(buf, size, NULL, 0, err, sizeof err);
    if (m) {
        struct llm_model_info info;
        llm_model_get_info(m, &info);
        if (rc != 0 || info.n_layers != p.info.n_layers || info.dim != p.info.dim ||
            info.n_vocab != p.info.n_vocab || info.n_kv_heads != p.info.n_kv_heads ||
            info.has_chat_template != p.info.has_chat_template)
            abort();
        llm_model_free(m);
    }
    free(buf);
    return 0;
}
