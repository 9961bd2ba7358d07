/* forward_harness.c: the engine's logits at every position of a token
 * sequence, for tests/llm/test_forward.py.
 *
 *   forward_harness MODEL ID...    stdout: len(IDs) rows of n_vocab float32
 */
#include <stdio.h>
#include <stdlib.h>

#include "matmul/select.h"
#include "llm.h"
#include "platform.h"
#include "harness_file.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: forward_harness MODEL ID...\n");
        return 2;
    }
    size_t size;
    void *data = harness_read_file(argv[1], &size);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    char err[256];
    /* MYOS_KERNEL=scalar|avx2|... runs every matrix product on that variant. */
    const char *kernel = getenv("MYOS_KERNEL");
    if (kernel && select_force(kernel, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    llm_model *m = llm_load(data, (size_t)size, NULL, 0, err, sizeof err);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    struct llm_settings set;
    llm_settings_default(&set);
    set.ctx = argc - 2;
    llm_session *s = llm_session_create(m, &set, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        int32_t id = (int32_t)atol(argv[i]);
        const float *logits = llm_eval(s, &id, 1, err, sizeof err);
        if (!logits) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        fwrite(logits, sizeof(float), info.n_vocab, stdout);
    }
    llm_session_free(s);
    llm_model_free(m);
    llm_free(data);
    return 0;
}
