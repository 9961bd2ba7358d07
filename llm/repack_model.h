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

/* Repacks every matrix of a type rq_repackable names that is not repacked
 * yet, from its bytes (t->data): 0, or -1 with err set (LLM_CANCELLED when
 * `cancel`, which may be NULL, asked to stop). */
int rq_repack_rest(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen);
/* Once every matrix is repacked: the kernels' buffers for the model's
 * widest input and the kernel choice tuned on its matrices (select_init
 * must have run). 0, or -1 with err set (LLM_CANCELLED). */
int rq_finish_model(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen);
/* Bytes rq_finish_model keeps besides the matrices (the kernels' activation
 * buffers, sized for the model's widest input) and what it holds while it
 * tunes the choice of kernels. */
uint64_t rq_model_scratch_bytes(const struct model_config *c);
/* Chooses the kernels again by timing them on the model's repacked
 * matrices (rq_finish_model does it once); 0, or -1 when out of memory. */
int rq_tune_model(struct llm_model *m);
/* Frees the repacked matrices (also after a partial failure). */
void rq_release_model(struct llm_model *m);

#endif
