/* batch_harness.c: prompt evaluation in several tokens per llm_eval call, for
 * tests/llm/test_batch.py (the logits after each call must equal those of the
 * token-by-token path, on every kernel variant).
 *
 *   batch_harness MODEL N ID...   stdout: the n_vocab float32 logits after
 *                                 each call of up to N ids
 * A failed call prints "error at position P: why" (P: the session's position
 * after the failure) and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "matmul/select.h"
#include "llm.h"
#include "platform.h"
#include "harness_file.h"

int main(int argc, char **argv)
{
    int chunk = argc > 2 ? atoi(argv[2]) : 0;
    if (argc < 4 || chunk < 1) {
        fprintf(stderr, "usage: batch_harness MODEL N ID...\n");
        return 2;
    }
    char err[256];
    /* MYOS_KERNEL=scalar|avx2|... runs every matrix product on that variant. */
    const char *kernel = getenv("MYOS_KERNEL");
    if (kernel && select_force(kernel, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    size_t size;
    void *data = harness_read_file(argv[1], &size);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    llm_model *m = llm_load(data, size, NULL, 0, err, sizeof err);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    struct llm_settings set;
    llm_settings_default(&set);
    uint32_t n = (uint32_t)(argc - 3);
    set.ctx = n;
    llm_session *s = llm_session_create(m, &set, err, sizeof err);
    int32_t *ids = malloc(sizeof(int32_t) * n);
    if (!s || !ids) {
        fprintf(stderr, "%s\n", s ? "out of memory" : err);
        return 1;
    }
    for (uint32_t i = 0; i < n; i++)
        ids[i] = (int32_t)atol(argv[3 + i]);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i += (uint32_t)chunk) {
        uint32_t k = n - i < (uint32_t)chunk ? n - i : (uint32_t)chunk;
        const float *logits = llm_eval(s, ids + i, k, err, sizeof err);
        if (logits) {
            fwrite(logits, sizeof(float), info.n_vocab, stdout);
        } else {
            fprintf(stderr, "error at position %lu: %s\n", (unsigned long)llm_session_pos(s), err);
            rc = 1;
        }
    }
    free(ids);
    llm_session_free(s);
    llm_model_free(m);
    llm_free(data);
    return rc;
}
