/* repack_model.h: a loaded model's matrices repacked for the integer
 * kernels (matmul/repack.h) and the kernel choice tuned on them; in
 * repack_model.c.
 */
#ifndef LLM_REPACK_MODEL_H
#define LLM_REPACK_MODEL_H

#include <stddef.h>

struct llm_model;

/* Repacks every Q4_1/Q8_0 matrix of a loaded model (after measuring the
 * kernels, once): 0, or -1 with err set; rq_release_model frees them (also
 * after a partial failure). */
int rq_repack_model(struct llm_model *m, char *err, size_t errlen);
/* Chooses the kernels again by timing them on the model's repacked
 * matrices (rq_repack_model does it once); 0, or -1 when out of memory. */
int rq_tune_model(struct llm_model *m);
void rq_release_model(struct llm_model *m);

#endif
