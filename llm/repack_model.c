/* repack_model.c: a loaded model's matrices of the formats rq_repackable
 * names (repack.h), in their fixed order: repacking those the loader did not
 * (formats/weights.h repacks most while it reads them), tuning the kernel
 * choice on them, releasing them. Norms, the token embedding (read row by
 * row) and other types stay as they are in the file.
 */
#include "repack_model.h"

#include "cancel.h"
#include "matmul/matmul.h"
#include "matmul/select.h"
#include "model.h"
#include "params.h"
#include "platform.h"

/* The list of repacked matrices rq_tune_model times: one per matrix. */
static size_t tune_list_bytes(const struct model_config *c)
{
    return sizeof(struct rq_matrix *) * (MODEL_LAYER_MATRICES * c->n_layers + 1);
}

struct repack_ctx {
    const struct llm_cancel *cancel;
    char *err;
    size_t errlen;
};

static int repack_one(struct qtensor *t, const char *name, void *arg)
{
    struct repack_ctx *ctx = arg;
    if (t->packed || !rq_repackable(t->type))
        return 0;
    t->packed = rq_repack(t, name, ctx->cancel, ctx->err, ctx->errlen);
    return t->packed ? 0 : -1;
}

int rq_repack_rest(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen)
{
    struct repack_ctx ctx = { cancel, err, errlen };
    return model_for_each_matrix(m, repack_one, &ctx);
}

static int release_one(struct qtensor *t, const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    rq_free(t->packed);
    t->packed = NULL;
    return 0;
}

struct tune_list {
    struct rq_matrix **mats;
    uint32_t n;
};

static int list_one(struct qtensor *t, const char *name, void *arg)
{
    struct tune_list *list = arg;
    (void)name;
    if (t->packed)
        list->mats[list->n++] = t->packed;
    return 0;
}

/* The longest input vector of the model's matrices. */
static uint32_t widest_input(const struct model_config *c)
{
    uint32_t widest = c->dim > c->hidden_dim ? c->dim : c->hidden_dim;
    return c->n_heads * c->head_dim > widest ? c->n_heads * c->head_dim : widest;
}

uint64_t rq_model_scratch_bytes(const struct model_config *c)
{
    /* + select_tune's, for the longest rows */
    uint32_t rows = c->n_vocab > c->hidden_dim ? c->n_vocab : c->hidden_dim;
    return matmul_scratch_bytes(widest_input(c)) + tune_list_bytes(c) +
           select_tune_bytes(widest_input(c), rows > c->dim ? rows : c->dim);
}

/* Tunes the kernel choice on m's repacked matrices: 0, -1 when out of
 * memory (the choice made on the test matrix stays), 1 when cancelled (the
 * previous choice stays). */
static int tune(struct llm_model *m, const struct llm_cancel *cancel)
{
    struct tune_list list = { llm_alloc(tune_list_bytes(&m->cfg), 8), 0 };
    if (!list.mats)
        return -1;
    model_for_each_matrix(m, list_one, &list);
    int rc = list.n ? select_tune(list.mats, list.n, cancel) : 0;
    llm_free(list.mats);
    return rc;
}

int rq_finish_model(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen)
{
    if (matmul_reserve(widest_input(&m->cfg), err, errlen) != 0)
        return -1;
    if (tune(m, cancel) == 1) {
        snprintf(err, errlen, LLM_CANCELLED);
        return -1;
    }
    return 0;
}

int rq_tune_model(struct llm_model *m)
{
    return tune(m, NULL);
}

void rq_release_model(struct llm_model *m)
{
    model_for_each_matrix(m, release_one, NULL);
}
