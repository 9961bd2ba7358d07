/* repack_model.h: a loaded model's matrices repacked for the integer
 * kernels (matmul/repack.h) and the kernel choice tuned on them; in
 * repack_model.c.
 */
#ifndef LLM_REPACK_MODEL_H
#define LLM_REPACK_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct llm_cancel;
struct llm_model;
struct model_config;

/* Repacks every Q4_1/Q8_0 matrix of a loaded model (after measuring the
 * kernels, once) and tunes the kernel choice on them: 0, or -1 with err set
 * (LLM_CANCELLED when `cancel`, which may be NULL, asked to stop);
 * rq_release_model frees them (also after a partial failure). */
int rq_repack_model(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen);
/* Bytes rq_repack_model keeps besides the matrices (the kernels' activation
 * buffers, sized for the model's widest input) and what it holds while it
 * tunes the choice of kernels. */
uint64_t rq_model_scratch_bytes(const struct model_config *c);
/* Chooses the kernels again by timing them on the model's repacked
 * matrices (rq_repack_model does it once); 0, or -1 when out of memory. */
int rq_tune_model(struct llm_model *m);
void rq_release_model(struct llm_model *m);

#endif
