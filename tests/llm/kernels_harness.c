/* kernels_harness.c: drives the repacked integer kernels from pytest and from
 * the kernel lab (the same file built as a 32-bit program runs under
 * qemu-i386 to measure TCG costs).
 *
 *   kernels_harness report [BUDGET_MS]
 *       CPU features, per-variant ns/MAC, chosen kernels.
 *   kernels_harness selftest
 *       random matrices of every repacked type, awkward shapes: every allowed variant
 *       must equal the scalar kernel bit for bit, also run as two ranges of
 *       row groups split anywhere; prints "ok".
 *   kernels_harness run TYPE ROWS COLS WEIGHTS.bin X.bin OUT.bin
 *       raw GGUF tensor bytes (TYPE: the ggml id, 3=Q4_1...) and COLS float32
 *       activations; writes, for every allowed variant, ROWS float32 outputs
 *       (variants in report order, the names on stdout, one per line).
 *   kernels_harness bench ROWS COLS MS
 *       ns/MAC of every allowed variant and format on a random matrix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matmul/matmul.h"
#include "matmul/select.h"
#include "params.h"
#include "platform.h"

static uint32_t rng = 1;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int allowed(const struct rq_variant *v)
{
    return (v->needs & ~select_cpu_features()) == 0;
}

/* The file formats rq_repack takes. */
static const uint32_t repacked_types[] = { QT_Q4_1, QT_Q8_0, QT_Q4_0, QT_Q5_0, QT_Q5_1,
                                           QT_Q4_K, QT_Q5_K, QT_Q6_K, QT_BF16 };

static uint32_t block_elems(uint32_t type)
{
    return type == QT_Q4_K || type == QT_Q5_K || type == QT_Q6_K ? 256 : 32;
}

static void put_f16(uint8_t *p, float v)
{
    uint16_t h = quant_f32_to_f16(v);
    memcpy(p, &h, 2);
}

/* Random GGUF-format matrix bytes with scales in the model's range, and
 * occasionally extreme blocks (zero, tiny or large scales). */
static uint8_t *random_tensor(struct qtensor *t, uint32_t type, uint32_t rows, uint32_t cols)
{
    uint32_t elems = block_elems(type), block = (uint32_t)quant_row_bytes(type, elems), nb = cols / elems;
    uint8_t *data = malloc((size_t)rows * nb * block);
    for (uint32_t i = 0; i < rows * nb; i++) {
        uint8_t *p = data + (size_t)i * block;
        for (uint32_t j = 0; j < block; j++)
            p[j] = (uint8_t)rnd();
        float d = (float)(rnd() % 1000 + 1) * 2e-5f, m = -(float)(rnd() % 1000) * 1e-4f;
        uint32_t exp = 0x3c; /* BF16: values around 2^-7 */
        switch (rnd() % 16) {
        case 0: d = 0.0f; exp = 0; break;
        case 1: d *= 1e-3f; exp = 0x30; break;
        case 2: d *= 100.0f; m = -m; exp = 0x42; break;
        }
        if (type == QT_BF16) {
            for (uint32_t j = 1; j < block; j += 2)
                p[j] = (uint8_t)((p[j] & 0x80) | (exp ? exp + (rnd() % 3) : 0));
            continue;
        }
        put_f16(p + (type == QT_Q6_K ? 208 : 0), d);
        if (type == QT_Q4_1 || type == QT_Q5_1)
            put_f16(p + 2, m);
        else if (type == QT_Q4_K || type == QT_Q5_K)
            put_f16(p + 2, -m * 0.1f); /* dmin, subtracted */
    }
    t->type = type;
    t->rows = rows;
    t->cols = cols;
    t->row_bytes = nb * block;
    t->data = data;
    t->packed = NULL;
    return data;
}

static struct rq_matrix *repack_or_die(const struct qtensor *t)
{
    char err[160];
    struct rq_matrix *m = rq_repack(t, "test", NULL, err, sizeof err);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return m;
}

static void reserve_or_die(uint32_t cols)
{
    char err[160];
    if (matmul_reserve(cols, err, sizeof err) != 0 || select_init(LLM_SELECT_BUDGET_MS, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static int cmd_report(int argc, char **argv)
{
    char err[160];
    if (select_init(argc > 2 ? (uint32_t)atoi(argv[2]) : 20, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct select_report *r = select_get_report();
    printf("cpu %s features 0x%x\n", r->vendor, (unsigned)r->cpu);
    for (uint32_t i = 0; i < r->n; i++)
        printf("variant %s allowed %d exact %d q4 %.3f q8 %.3f q6 %.3f q5 %.3f ns/MAC\n", r->v[i].name,
               r->v[i].allowed, r->v[i].exact, r->v[i].ns_per_mac[RQ_Q4], r->v[i].ns_per_mac[RQ_Q8],
               r->v[i].ns_per_mac[RQ_Q6], r->v[i].ns_per_mac[RQ_Q5]);
    printf("chosen q4 %s q8 %s q6 %s q5 %s\n", r->chosen[RQ_Q4], r->chosen[RQ_Q8], r->chosen[RQ_Q6],
           r->chosen[RQ_Q5]);
    return 0;
}

static int cmd_selftest(void)
{
    static const uint32_t shapes[][2] = { { 8, 256 }, { 13, 512 }, { 64, 768 }, { 21, 1536 }, { 3, 256 }, { 40, 2048 },
                                          { 8, 32 }, { 13, 64 }, { 64, 576 }, { 3, 160 } };
    for (uint32_t k = 0; k < sizeof repacked_types / sizeof repacked_types[0]; k++) {
        uint32_t type = repacked_types[k];
        for (uint32_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            uint32_t rows = shapes[s][0], cols = shapes[s][1];
            if (cols % block_elems(type) != 0)
                continue;
            struct qtensor t;
            uint8_t *data = random_tensor(&t, type, rows, cols);
            struct rq_matrix *m = repack_or_die(&t);
            float *x = malloc(cols * sizeof(float)), *ref = malloc(rows * sizeof(float)),
                  *y = malloc(rows * sizeof(float));
            for (uint32_t i = 0; i < cols; i++)
                x[i] = (float)((int32_t)(rnd() % 20001) - 10000) * 1e-3f * (rnd() % 50 == 0 ? 100.0f : 1.0f);
            struct rq_act a, avx2;
            rq_act_init(&a, cols);
            rq_act_quantize(&a, x, cols, 1);
            if (allowed(&rq_variant_avx2)) {
                /* The AVX2 activation steps give the portable ones' results. */
                rq_act_init(&avx2, cols);
                rq_act_use(&rq_act_avx2);
                rq_act_quantize(&avx2, x, cols, 1);
                rq_act_use(&rq_act_portable);
                if (!rq_act_equal(&a, &avx2)) {
                    printf("MISMATCH activation steps avx2 %u columns\n", cols);
                    return 1;
                }
                rq_act_free(&avx2);
            }
            rq_variant_matmul(&rq_variant_scalar, m, &a, 1, ref, 0);
            for (uint32_t v = 0; select_variant(v); v++) {
                if (!allowed(select_variant(v)))
                    continue;
                for (uint32_t r = 0; r < rows; r++)
                    y[r] = -1.0f;
                rq_variant_matmul(select_variant(v), m, &a, 1, y, 0);
                if (memcmp(y, ref, rows * sizeof(float)) != 0) {
                    printf("MISMATCH %s %s %ux%u\n", select_variant(v)->name, quant_type_name(type), rows, cols);
                    return 1;
                }
                /* Split into two ranges of groups at every point (odd ones
                 * too, inside a pair kernel's step): the same rows. */
                for (uint32_t split = 0; split <= m->groups; split++) {
                    for (uint32_t r = 0; r < rows; r++)
                        y[r] = -1.0f;
                    rq_run_groups(select_variant(v), m, &a, 1, split, m->groups, y, 0);
                    rq_run_groups(select_variant(v), m, &a, 1, 0, split, y, 0);
                    if (memcmp(y, ref, rows * sizeof(float)) != 0) {
                        printf("MISMATCH %s %s %ux%u split at group %u\n", select_variant(v)->name,
                               quant_type_name(type), rows, cols, split);
                        return 1;
                    }
                }
            }
            rq_act_free(&a);
            rq_free(m);
            free(data);
            free(x);
            free(ref);
            free(y);
        }
    }
    printf("ok\n");
    return 0;
}

static void *read_file(const char *path, size_t want)
{
    FILE *f = fopen(path, "rb");
    void *buf = malloc(want ? want : 1);
    if (!f || fread(buf, 1, want, f) != want) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", want, path);
        exit(1);
    }
    fclose(f);
    return buf;
}

static int cmd_run(char **argv)
{
    uint32_t type = (uint32_t)atoi(argv[2]), rows = (uint32_t)atoi(argv[3]), cols = (uint32_t)atoi(argv[4]);
    struct qtensor t = { type, rows, cols, (uint32_t)quant_row_bytes(type, cols), NULL, NULL };
    t.data = read_file(argv[5], (size_t)rows * t.row_bytes);
    float *x = read_file(argv[6], cols * sizeof(float));
    reserve_or_die(cols);
    struct rq_matrix *m = repack_or_die(&t);
    float *y = malloc(rows * sizeof(float));
    FILE *out = fopen(argv[7], "wb");
    struct rq_act a;
    rq_act_init(&a, cols);
    rq_act_quantize(&a, x, cols, 1);
    for (uint32_t v = 0; select_variant(v); v++) {
        if (!allowed(select_variant(v)))
            continue;
        rq_variant_matmul(select_variant(v), m, &a, 1, y, 0);
        fwrite(y, sizeof(float), rows, out);
        printf("%s\n", select_variant(v)->name);
    }
    /* And once more through the engine's entry point, with the chosen kernels. */
    rq_matmul(m, x, 0, 1, y, 0);
    fwrite(y, sizeof(float), rows, out);
    printf("matmul\n");
    fclose(out);
    return 0;
}

static int cmd_bench(char **argv)
{
    uint32_t rows = (uint32_t)atoi(argv[2]), cols = (uint32_t)atoi(argv[3]), ms = (uint32_t)atoi(argv[4]);
    for (uint32_t k = 0; k < sizeof repacked_types / sizeof repacked_types[0]; k++) {
        uint32_t type = repacked_types[k];
        struct qtensor t;
        uint8_t *data = random_tensor(&t, type, rows, cols);
        struct rq_matrix *m = repack_or_die(&t);
        float *x = malloc(cols * sizeof(float)), *y = malloc(rows * sizeof(float));
        for (uint32_t i = 0; i < cols; i++)
            x[i] = (float)((int32_t)(rnd() % 2001) - 1000) * 1e-3f;
        struct rq_act a;
        rq_act_init(&a, cols);
        rq_act_quantize(&a, x, cols, 1);
        for (uint32_t v = 0; select_variant(v); v++) {
            if (!allowed(select_variant(v)))
                continue;
            rq_variant_matmul(select_variant(v), m, &a, 1, y, 0);
            uint64_t t0 = llm_time_ns(), dt;
            uint32_t calls = 0;
            do {
                rq_variant_matmul(select_variant(v), m, &a, 1, y, 0);
                calls++;
                dt = llm_time_ns() - t0;
            } while (dt < (uint64_t)ms * 1000000u);
            printf("%s %s %ux%u %.3f ns/MAC\n", quant_type_name(type), select_variant(v)->name, rows, cols,
                   (double)dt / ((double)calls * rows * cols));
        }
        rq_act_free(&a);
        rq_free(m);
        free(data);
        free(x);
        free(y);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return cmd_report(argc, argv);
    if (argc == 2 && strcmp(argv[1], "selftest") == 0)
        return cmd_selftest();
    if (argc == 8 && strcmp(argv[1], "run") == 0)
        return cmd_run(argv);
    if (argc == 5 && strcmp(argv[1], "bench") == 0)
        return cmd_bench(argv);
    fprintf(stderr, "usage: kernels_harness report [MS] | selftest | run TYPE ROWS COLS W X OUT | bench ROWS COLS MS\n");
    return 2;
}
