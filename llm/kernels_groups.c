/* kernels_groups.c: the loop over row groups that the SIMD kernel variants
 * share (see rq_for_groups in dispatch.h). */
#include "dispatch.h"

#include "platform.h"

void rq_for_groups(const struct rq_matrix *m, const struct rq_act *a, uint32_t n, float *y, size_t ystride,
                   rq_group_fn fn, uint32_t step, rq_group_fn single)
{
    float tail[RQ_GROUPS_MAX * RQ_ROWS];
    uint32_t g = 0;
    for (; g + step <= m->groups; g += step) {
        uint32_t row = g * RQ_ROWS, rows = step * RQ_ROWS;
        for (uint32_t i = 0; i < n; i++) {
            float *out = y + i * ystride + row;
            if (row + rows <= m->rows) {
                fn(m, a + i, g, out);
            } else {
                fn(m, a + i, g, tail);
                memcpy(out, tail, (m->rows - row) * sizeof(float));
            }
        }
    }
    /* Fewer than `step` groups left: one at a time. */
    for (; g < m->groups; g++) {
        for (uint32_t i = 0; i < n; i++) {
            single(m, a + i, g, tail);
            uint32_t row = g * RQ_ROWS, rows = m->rows - row < RQ_ROWS ? m->rows - row : RQ_ROWS;
            memcpy(y + i * ystride + row, tail, rows * sizeof(float));
        }
    }
}
