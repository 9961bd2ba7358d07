/* fuzz_blocks.c: libFuzzer target for the block decoders and the repacking
 * of every matrix format (llm/matmul/quant.c, repack.c, the kernels): any
 * bytes taken as the blocks of a small matrix of any supported type must
 * decode, multiply with the portable kernel and repack without a memory
 * error or undefined behaviour, and every repacked kernel variant this CPU
 * runs must give the scalar variant's outputs bit for bit (as the model
 * tests demand on real weights). Input: one byte choosing the type, one the
 * number of rows, then the rows' bytes (whole rows only). */
#include <stdio.h>

#include "common.h"
#include "matmul/kernels.h"
#include "matmul/matmul.h"
#include "matmul/quant.h"
#include "matmul/repack.h"
#include "matmul/select.h"

#define COLS 512      /* two K-quant super-blocks, sixteen blocks of 32 */
#define MAX_ROWS 20   /* two whole row groups of the repacked layouts and a part of one */

static const uint32_t types[] = { QT_F32, QT_F16, QT_BF16, QT_Q4_0, QT_Q4_1, QT_Q5_0,
                                  QT_Q5_1, QT_Q8_0, QT_Q4_K, QT_Q5_K, QT_Q6_K };

/* Bit for bit, except that any NaN equals any NaN (a damaged scale may be one). */
static int same_outputs(const float *a, const float *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0 && !(a[i] != a[i] && b[i] != b[i]))
            return 0;
    return 1;
}

static void repacked_variants_agree(const struct qtensor *t, const float *x)
{
    char err[160];
    struct rq_matrix *m = rq_repack(t, "fuzz", NULL, err, sizeof err);
    if (!m)
        return; /* refused with a message: fine */
    struct rq_act act;
    if (rq_act_init(&act, COLS) != 0)
        abort();
    rq_act_quantize(&act, x, COLS, 1);
    float ref[MAX_ROWS], y[MAX_ROWS];
    rq_variant_matmul(&rq_variant_scalar, m, &act, 1, ref, 0);
    for (uint32_t v = 1; select_variant(v); v++) {
        const struct rq_variant *variant = select_variant(v);
        if (variant->needs & ~select_cpu_features())
            continue;
        rq_variant_matmul(variant, m, &act, 1, y, 0);
        if (!same_outputs(ref, y, t->rows)) {
            fprintf(stderr, "variant %s differs from scalar on %s %ux%u\n", variant->name,
                    quant_type_name(t->type), (unsigned)t->rows, (unsigned)t->cols);
            abort();
        }
    }
    rq_act_free(&act);
    rq_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t type = types[data[0] % (sizeof types / sizeof types[0])];
    uint32_t row_bytes = (uint32_t)quant_row_bytes(type, COLS), rows = 1 + data[1] % MAX_ROWS;
    size_t have = size - 2;
    if (have < row_bytes)
        return 0;
    if (rows > have / row_bytes)
        rows = (uint32_t)(have / row_bytes);
    uint8_t *w = aligned_copy(data + 2, (size_t)rows * row_bytes);
    struct qtensor t = { type, rows, COLS, row_bytes, w, NULL };

    float x[COLS], row[COLS], out[MAX_ROWS];
    for (uint32_t i = 0; i < COLS; i++)
        x[i] = (float)((int32_t)(i * 37 % 201) - 100) * 0.01f;
    for (uint32_t r = 0; r < rows; r++)
        quant_dequant_row(&t, r, row);
    struct qact_block qa[COLS / QK + 1];
    struct quant_act a = { 0, qa, 0, 0 };
    quant_act_prepare(&a, x, COLS);
    quant_matvec_portable(&t, &a, out);
    if (rq_repackable(type))
        repacked_variants_agree(&t, x);
    free(w);
    return 0;
}
