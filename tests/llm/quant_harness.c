/* quant_harness.c: drives llm/matmul/quant.c for tests/llm/test_quant.py.
 *
 *   quant_harness dequant TYPE N     stdin: the blocks of N values; stdout: N float32
 *   quant_harness matvec TYPE ROWS COLS   stdin: ROWS rows of blocks, then COLS float32
 *                                    stdout: ROWS float32 (through quant_matvec_portable)
 *   quant_harness act N              stdin: N float32; stdout: the activation blocks as
 *                                    (float d, float s, 32 x int16) records
 *   quant_harness f16 N              stdin: N float32; stdout: N uint16 (f32 -> f16)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matmul/quant.h"

static void *read_all(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p || fread(p, 1, n, stdin) != n) {
        fprintf(stderr, "short input\n");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: quant_harness dequant|matvec|act|f16 ...\n");
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "dequant") && argc == 4) {
        uint32_t type = (uint32_t)atoi(argv[2]), n = (uint32_t)atoi(argv[3]);
        if (quant_row_bytes(type, n) == 0)
            return 3;
        void *blocks = read_all(quant_row_bytes(type, n));
        float *out = malloc(sizeof(float) * n);
        quant_dequant(type, blocks, out, n);
        fwrite(out, sizeof(float), n, stdout);
        return 0;
    }
    if (!strcmp(mode, "matvec") && argc == 5) {
        uint32_t type = (uint32_t)atoi(argv[2]), rows = (uint32_t)atoi(argv[3]), cols = (uint32_t)atoi(argv[4]);
        uint64_t rb = quant_row_bytes(type, cols);
        if (rb == 0)
            return 3;
        struct qtensor w = { type, rows, cols, (uint32_t)rb, read_all(rb * rows), NULL };
        float *x = read_all(sizeof(float) * cols);
        struct qact_block *qa = malloc(sizeof(struct qact_block) * (cols / QK + 1));
        struct quant_act a = { 0, qa, 0, 0 };
        quant_act_prepare(&a, x, cols);
        float *out = malloc(sizeof(float) * rows);
        quant_matvec_portable(&w, &a, out);
        fwrite(out, sizeof(float), rows, stdout);
        return 0;
    }
    if (!strcmp(mode, "act") && argc == 3) {
        uint32_t n = (uint32_t)atoi(argv[2]);
        float *x = read_all(sizeof(float) * n);
        struct qact_block *qa = malloc(sizeof(struct qact_block) * (n / QK + 1));
        struct quant_act a = { 0, qa, 0, 0 };
        quant_act_prepare(&a, x, n);
        quant_act_quantize(&a);
        fwrite(qa, sizeof(struct qact_block), n / QK, stdout);
        return 0;
    }
    if (!strcmp(mode, "f16") && argc == 3) {
        uint32_t n = (uint32_t)atoi(argv[2]);
        float *x = read_all(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) {
            uint16_t h = quant_f32_to_f16(x[i]);
            fwrite(&h, 2, 1, stdout);
        }
        return 0;
    }
    fprintf(stderr, "bad arguments\n");
    return 2;
}
