/* matmul.c: the engine's matrix products (see matmul.h): the entry points,
 * their scratch activations, the loop over row groups, and the sharing out
 * of a product's row groups over the CPUs (llm_parallel_for).
 *
 * The engine runs one forward pass at a time, so the variant in use per
 * format and the scratch activations live in this file's state; the calling
 * thread alone changes them, and the workers running ranges of row groups
 * (rq_run_groups) only read them.
 */
#include "matmul/matmul.h"

#include "params.h"
#include "platform.h"
#include "profile.h"

static struct {
    const struct rq_variant *active[RQ_FORMATS];
    struct rq_act scratch[LLM_BATCH]; /* rq_matmul's quantized vectors */
} st = { .active = { [RQ_Q4] = &rq_variant_scalar, [RQ_Q8] = &rq_variant_scalar, [RQ_Q6] = &rq_variant_scalar,
                      [RQ_Q5] = &rq_variant_scalar } };

void matmul_use(uint32_t format, const struct rq_variant *v)
{
    st.active[format] = v;
}

const struct rq_variant *matmul_variant(uint32_t format)
{
    return st.active[format];
}

uint64_t matmul_scratch_bytes(uint32_t cols)
{
    return LLM_BATCH * rq_act_bytes(cols);
}

int matmul_reserve(uint32_t cols, char *err, size_t errlen)
{
    if (cols <= st.scratch[0].cap)
        return 0;
    struct rq_act a[LLM_BATCH];
    for (uint32_t i = 0; i < LLM_BATCH; i++) {
        if (rq_act_init(&a[i], cols) != 0) {
            while (i > 0)
                rq_act_free(&a[--i]);
            snprintf(err, errlen, "out of memory for %u activation buffers of %u values",
                     (unsigned)LLM_BATCH, (unsigned)cols);
            return -1;
        }
    }
    for (uint32_t i = 0; i < LLM_BATCH; i++) {
        rq_act_free(&st.scratch[i]);
        st.scratch[i] = a[i];
    }
    return 0;
}

/* Groups per range call when several vectors share the weights: a few KiB
 * of them, read from memory for the first vector and from cache after. */
#define RANGE_GROUPS 16

void rq_run_groups(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, uint32_t n,
                   uint32_t g0, uint32_t g1, float *y, size_t ystride)
{
    const struct rq_kernel *k = &v->fmt[m->format];
    /* Whole groups, in whole steps, go straight to y; the rest (and a last
     * group with padding rows) one group at a time through a buffer. */
    uint32_t whole = m->rows / RQ_ROWS < g1 ? m->rows / RQ_ROWS : g1;
    uint32_t direct = whole > g0 ? g0 + (whole - g0) / k->step * k->step : g0;
    uint32_t chunk = n == 1 ? direct - g0 : RANGE_GROUPS / k->step * k->step;
    for (uint32_t g = g0; g < direct; g += chunk) {
        uint32_t end = direct - g < chunk ? direct : g + chunk;
        for (uint32_t i = 0; i < n; i++)
            k->range(m, a + i, g, end, y + i * ystride + g * RQ_ROWS);
    }
    for (uint32_t g = direct; g < g1; g++) {
        float tail[RQ_ROWS];
        uint32_t row = g * RQ_ROWS, rows = m->rows - row < RQ_ROWS ? m->rows - row : RQ_ROWS;
        for (uint32_t i = 0; i < n; i++) {
            k->group(m, a + i, g, tail);
            memcpy(y + i * ystride + row, tail, rows * sizeof(float));
        }
    }
}

void rq_variant_matmul(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, uint32_t n,
                       float *y, size_t ystride)
{
    rq_run_groups(v, m, a, n, 0, m->groups, y, ystride);
}

/* Several repacked matrices with as many columns applied to the same
 * vectors (Q, K and V; gate and up): the vectors are quantized once for all
 * of them. */
struct rq_product {
    const struct rq_matrix *m;
    float *y;
    size_t ystride;
};

/* The products of one rq_matmul_many call as one parallel job: its indices
 * are units of UNIT_STEPS kernel steps of row groups, matrix after matrix,
 * so that every range starts on a step boundary (a pair kernel pairs the
 * same groups as in one serial pass) and each output row is computed by one
 * worker alone: the results are the same for any number of workers. */
#define UNIT_STEPS 2

struct product_job {
    const struct rq_product *p;
    uint32_t count, n;
    uint32_t unit_groups[QUANT_PRODUCTS_MAX];
    uint32_t first_unit[QUANT_PRODUCTS_MAX + 1]; /* of each matrix; [count]: all units */
};

static void product_range(void *ctx, uint32_t begin, uint32_t end, uint32_t worker)
{
    const struct product_job *j = ctx;
    (void)worker;
    for (uint32_t k = 0; k < j->count && begin < end; k++) {
        if (begin >= j->first_unit[k + 1])
            continue;
        const struct rq_matrix *m = j->p[k].m;
        uint32_t last = end < j->first_unit[k + 1] ? end : j->first_unit[k + 1];
        uint32_t g0 = (begin - j->first_unit[k]) * j->unit_groups[k];
        uint32_t g1 = (last - j->first_unit[k]) * j->unit_groups[k];
        rq_run_groups(st.active[m->format], m, st.scratch, j->n, g0, g1 < m->groups ? g1 : m->groups, j->p[k].y,
                      j->p[k].ystride);
        begin = last;
    }
}

/* The batch's vectors are quantized in parallel too, one vector per index. */
struct quantize_job {
    const float *x;
    size_t xstride;
    uint32_t cols;
    int pairs;
};

static void quantize_range(void *ctx, uint32_t begin, uint32_t end, uint32_t worker)
{
    const struct quantize_job *j = ctx;
    (void)worker;
    for (uint32_t i = begin; i < end; i++)
        rq_act_quantize(&st.scratch[i], j->x + i * j->xstride, j->cols, j->pairs);
}

static void rq_matmul_many(const struct rq_product *p, uint32_t count, const float *x, size_t xstride, uint32_t n)
{
    uint32_t cols = p[0].m->cols;
    int pairs = 0, fits = n <= LLM_BATCH && cols <= st.scratch[0].cap && count <= QUANT_PRODUCTS_MAX;
    for (uint32_t k = 0; k < count; k++) {
        fits &= p[k].m->cols == cols;
        pairs |= st.active[p[k].m->format]->pairs;
    }
    if (!fits) {
        /* A caller skipped matmul_reserve or split its batch wrongly: say
         * so loudly, not silently. */
        llm_log("rq_matmul: %u x %u columns exceed the reserved %u x %u (or differ)", (unsigned)n,
                (unsigned)cols, (unsigned)LLM_BATCH, (unsigned)st.scratch[0].cap);
        for (uint32_t k = 0; k < count; k++)
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t r = 0; r < p[k].m->rows; r++)
                    p[k].y[i * p[k].ystride + r] = __builtin_nanf("");
        return;
    }
    uint64_t t0 = llm_time_ns();
    struct quantize_job q = { x, xstride, cols, pairs };
    llm_parallel_for(n, quantize_range, &q);
    uint64_t t1 = llm_time_ns();
    struct product_job j = { p, count, n, { 0 }, { 0 } };
    for (uint32_t k = 0; k < count; k++) {
        const struct rq_matrix *m = p[k].m;
        j.unit_groups[k] = st.active[m->format]->fmt[m->format].step * UNIT_STEPS;
        j.first_unit[k + 1] = j.first_unit[k] + (m->groups + j.unit_groups[k] - 1) / j.unit_groups[k];
        llm_prof.macs += (uint64_t)m->rows * cols * n;
    }
    llm_parallel_for(j.first_unit[count], product_range, &j);
    llm_prof.quantize_ns += t1 - t0;
    llm_prof.matmul_ns += llm_time_ns() - t1;
}

void rq_matmul(const struct rq_matrix *m, const float *x, size_t xstride, uint32_t n, float *y,
               size_t ystride)
{
    struct rq_product p = { m, y, ystride };
    rq_matmul_many(&p, 1, x, xstride, n);
}

void quant_matmul_many(const struct quant_product *p, uint32_t count, struct qact_block *qa, const float *x,
                       uint32_t xstride, uint32_t n)
{
    struct rq_product packed[QUANT_PRODUCTS_MAX];
    uint32_t all_packed = count <= QUANT_PRODUCTS_MAX;
    for (uint32_t k = 0; k < count && all_packed; k++) {
        all_packed = p[k].w->packed != NULL;
        packed[k] = (struct rq_product){ p[k].w->packed, p[k].out, p[k].ostride };
    }
    if (all_packed) {
        rq_matmul_many(packed, count, x, xstride, n);
        return;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (p[k].w->packed) {
            rq_matmul(p[k].w->packed, x, xstride, n, p[k].out, p[k].ostride);
            continue;
        }
        for (uint32_t i = 0; i < n; i++) {
            struct quant_act a = { 0, qa, 0, 0 };
            quant_act_prepare(&a, x + (size_t)i * xstride, p[k].w->cols);
            quant_matvec_portable(p[k].w, &a, p[k].out + (size_t)i * p[k].ostride);
        }
    }
}

void quant_matmul(const struct qtensor *w, struct qact_block *qa, const float *x, uint32_t xstride,
                  uint32_t n, float *out, uint32_t ostride)
{
    struct quant_product p = { w, out, ostride };
    quant_matmul_many(&p, 1, qa, x, xstride, n);
}
