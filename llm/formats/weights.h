/* weights.h: a model's tensors from its file to where the forward pass
 * reads them, one tensor at a time in file order (llm_load_file, llm.h).
 *
 * The loader lists each tensor the model uses with what becomes of it
 * (a plan); weights_load then reads them: kept tensors (the token
 * embedding, matrices the kernels use as they are) into their final place,
 * norms and biases into floats, and every other matrix repacked a part at
 * a time as it is read, unless prepared weights made from the same bytes
 * replace the repacking (formats/prepared.h). A file already in memory is
 * used in place instead; llm_load_options.keep_file_weights keeps the
 * matrices' file bytes too (read into the store, repacked from there). Every byte the load uses (the header, then the
 * tensors in file order) goes through one digest: the file's identity.
 */
#ifndef LLM_WEIGHTS_H
#define LLM_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "llm.h"
#include "model.h"

enum weight_use {
    WEIGHT_KEEP,   /* t->data: the bytes as they are in the file */
    WEIGHT_REPACK, /* t->packed (t->data too when the file is in memory) */
    WEIGHT_VECTOR, /* dst[0 .. len): the values as floats */
};

struct weight_job {
    uint64_t offset, bytes; /* in the file */
    uint32_t use, type;
    struct qtensor *t;      /* KEEP, REPACK */
    float *dst;             /* VECTOR */
    uint32_t len;
    char name[48];
};

struct weight_plan {
    struct weight_job *jobs;
    uint32_t n, cap;
};

/* Room for cap jobs: 0, or -1 when out of memory. */
int weights_plan_init(struct weight_plan *p, uint32_t cap);
void weights_plan_free(struct weight_plan *p);
/* Bytes weights_plan_init allocates for cap jobs. */
uint64_t weights_plan_bytes(uint32_t cap);
/* The next job (NULL when the plan is full; the caller sized it). */
struct weight_job *weights_plan_add(struct weight_plan *p);

/* Whether a matrix of `type` is kept as it is in the file (not repacked):
 * the token embedding always (its rows are read one by one). */
int weights_kept(uint32_t type, int is_embedding);

/* Bytes of the kept tensors' store for a streamed load: each kept tensor,
 * 64-byte aligned. */
uint64_t weights_store_bytes(uint64_t tensor_bytes);
/* What weights_load holds while it reads a tensor from a streamed file. */
uint64_t weights_stream_bytes(void);

/* Reads every job of the plan from `file` into the model (header: the
 * file's first header_len bytes, the start of the digest) and prepares the
 * matrices (opt->prepared when it matches, else repacking). 0, or -1 with
 * err set; what was attached stays for llm_model_free. */
int weights_load(struct llm_model *m, const struct llm_file *file, const void *header, uint64_t header_len,
                 struct weight_plan *plan, struct llm_load_options *opt, char *err, size_t errlen);

#endif
