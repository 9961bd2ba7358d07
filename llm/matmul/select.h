/* select.h: choosing the kernel variant for each weight format by
 * measurement.
 *
 * CPUID (and XGETBV for the AVX state) says which variants may run; each
 * allowed variant then runs for a few milliseconds on a representative
 * matrix and the fastest is chosen, per weight format, and handed to
 * matmul.h (matmul_use). All variants compute repack.h's recipe bit for bit
 * (select_init also checks each against the scalar one and drops any that
 * differs), so the choice changes speed only. The same code runs in MyOS
 * (ring 0) and in the host program.
 */
#ifndef LLM_SELECT_H
#define LLM_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "matmul/kernels.h"

/* The CPU_* bits (kernels.h) this CPU has. */
uint32_t select_cpu_features(void);

/* Variant i in report order (0 = scalar), NULL past the end. */
const struct rq_variant *select_variant(uint32_t i);

#define SELECT_MAX_VARIANTS 4

/* What the measurement found, for `cpu`, `bench` and the host CLI. */
struct select_report {
    uint32_t cpu;                 /* CPU_* bits detected */
    char vendor[13];
    uint32_t n;                   /* variants known */
    struct {
        const char *name;
        int allowed;              /* CPU has what it needs */
        int exact;                /* matched the scalar results */
        float ns_per_mac[RQ_FORMATS]; /* 0: not measured */
    } v[SELECT_MAX_VARIANTS];
    const char *chosen[RQ_FORMATS];
    int tuned;                    /* ns_per_mac measured on a model's matrices */
    const char *forced;           /* NULL unless select_force was used */
};

/* Detects, measures (about `budget_ms` per candidate and format) and chooses.
 * Idempotent; later calls do nothing. 0, or -1 with err set (out of memory). */
int select_init(uint32_t budget_ms, char *err, size_t errlen);
/* Bytes select_init allocates while it measures (its activation buffer,
 * which stays, included); 0 once it has measured. */
uint64_t select_measure_bytes(void);
/* Bytes select_tune allocates for matrices of at most cols x rows (its
 * activation buffer counted whole, though it keeps it from earlier calls). */
uint64_t select_tune_bytes(uint32_t cols, uint32_t rows);
/* Measures again (for `bench`); a forced choice stays. 0 or -1 with err. */
int select_measure(uint32_t budget_ms, char *err, size_t errlen);

/* Times the exact variants within TUNE_SPREAD (select.c) of the best on
 * the test matrix again on a model's own repacked matrices, the first ones
 * of each format up to TUNE_MACS (one pass each, twice when that is quick,
 * interleaved: weights streaming from memory rank kernels differently from
 * a cached test matrix) and chooses again; the others'
 * figures become 0 (not measured). After select_init; -1 when out of
 * memory (the choice then stays), 1 when `cancel` (NULL: never) asked to
 * stop, polled between matrices (the previous figures and choice stay). */
int select_tune(struct rq_matrix *const *mats, uint32_t n, const struct llm_cancel *cancel);

/* Forces variant `name` ("scalar", "avx2", "avx2-madd", "sse2") for every format it
 * provides, or "auto" to return to the measured choice. -1 with err set when
 * unknown or not supported by this CPU. Measures first if nothing did yet. */
int select_force(const char *name, char *err, size_t errlen);

const struct select_report *select_get_report(void);

/* The file type that names repack.h's `format` in reports (its test
 * matrix's): Q4_1, Q8_0, Q6_K, Q5_1. */
const char *select_format_name(uint32_t format);

/* ns per multiply-accumulate of repacked matrices of the file types
 * types[0..n-1] (test matrices of random blocks, n <= SELECT_MAX_TYPES)
 * with the variants in use for their formats: the fastest of single
 * products taken in turn for about budget_ms per type (`bench`'s figure per
 * file format). 0,
 * or -1 with err set (a type not repacked, out of memory). */
#define SELECT_MAX_TYPES 12
int select_time_types(const uint32_t *types, uint32_t n, uint32_t budget_ms, float *ns_per_mac, char *err,
                      size_t errlen);

#endif
