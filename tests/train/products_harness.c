/* products_harness.c: drives the training's float32 products
 * (llm/train/float_products.c) and the dequantization of the rows they
 * read (quant_dequant) for tests/train/test_products.py. It is built twice,
 * as the host program is (x86-64, AVX where the machine has it) and as the
 * kernel is (32-bit, SSE2), and both must print the same bits.
 *
 *   products_harness dot NR COLS N F ACC   stdin: FP_ROWS rows of COLS float32, N vectors of
 *                                          COLS, N x FP_ROWS outputs; stdout: the outputs after
 *                                          fp_dot_rows (ACC: accumulate)
 *   products_harness sum NR COLS N F G     stdin: NR rows of COLS float32, N x NR weights, N x COLS
 *                                          outputs; stdout: the outputs after fp_sum_rows, the
 *                                          weight of output o and row i at o * NR + i (G 0) or
 *                                          i * N + o (G 1)
 *   products_harness dequant TYPE N        stdin: the blocks of N values; stdout: N float32
 *
 * The vectors start one float past an aligned address, as rows of a chunk
 * can: the products must not assume aligned loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matmul/quant.h"
#include "train/float_products.h"

/* Room for n floats, one float past 32-byte alignment. */
static float *unaligned_floats(size_t n)
{
    float *p = aligned_alloc(32, sizeof(float) * (n + 8));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p + 1;
}

/* n floats from stdin into unaligned_floats(n). */
static float *read_floats(size_t n)
{
    float *p = unaligned_floats(n);
    if (fread(p, sizeof(float), n, stdin) != n) {
        fprintf(stderr, "short input\n");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "dot") && argc == 7) {
        uint32_t nr = (uint32_t)atoi(argv[2]), cols = (uint32_t)atoi(argv[3]), n = (uint32_t)atoi(argv[4]);
        float f = strtof(argv[5], NULL);
        if (nr < 1 || nr > FP_ROWS)
            return 3;
        float *w = read_floats((size_t)FP_ROWS * cols), *x = read_floats((size_t)n * cols);
        float *out = read_floats((size_t)n * FP_ROWS);
        const float *rows[FP_ROWS];
        fp_row_group(rows, w, cols, FP_ROWS);
        fp_dot_rows(rows, nr, cols, x, cols, n, out, FP_ROWS, f, atoi(argv[6]));
        fwrite(out, sizeof(float), (size_t)n * FP_ROWS, stdout);
        return 0;
    }
    if (!strcmp(mode, "sum") && argc == 7) {
        uint32_t nr = (uint32_t)atoi(argv[2]), cols = (uint32_t)atoi(argv[3]), n = (uint32_t)atoi(argv[4]);
        float f = strtof(argv[5], NULL);
        int by_row = atoi(argv[6]);
        float *rows = read_floats((size_t)nr * cols), *g = read_floats((size_t)n * nr);
        float *out = read_floats((size_t)n * cols);
        fp_sum_rows(rows, cols, nr, cols, g, by_row ? 1 : nr, by_row ? n : 1, n, out, cols, f);
        fwrite(out, sizeof(float), (size_t)n * cols, stdout);
        return 0;
    }
    if (!strcmp(mode, "dequant") && argc == 4) {
        uint32_t type = (uint32_t)atoi(argv[2]), n = (uint32_t)atoi(argv[3]);
        uint64_t bytes = quant_row_bytes(type, n);
        if (bytes == 0)
            return 3;
        void *blocks = malloc(bytes);
        float *out = unaligned_floats(n);
        if (!blocks || fread(blocks, 1, bytes, stdin) != bytes) {
            fprintf(stderr, "short input\n");
            return 2;
        }
        quant_dequant(type, blocks, out, n);
        fwrite(out, sizeof(float), n, stdout);
        return 0;
    }
    fprintf(stderr, "usage: products_harness dot|sum|dequant ...\n");
    return 2;
}
