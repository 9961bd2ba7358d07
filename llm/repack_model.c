/* repack_model.c: repacks a loaded model's matrices of the formats
 * rq_repackable names (repack.h) for the integer kernels
 * (quant_matmul then uses them) and releases them again.
 * Norms, the token embedding (read row by row) and other types stay as they
 * are in the file.
 */
#include "repack_model.h"

#include "cancel.h"
#include "matmul/matmul.h"
#include "matmul/select.h"
#include "model.h"
#include "params.h"
#include "platform.h"

struct repack_ctx {
    const struct llm_cancel *cancel;
    char *err;
    size_t errlen;
    int rc;
    struct rq_matrix **list; /* the repacked matrices, for select_tune */
    uint32_t n;
};

/* The list of repacked matrices rq_tune_model times: one per matrix. */
static size_t tune_list_bytes(const struct model_config *c)
{
    return sizeof(struct rq_matrix *) * (MODEL_LAYER_MATRICES * c->n_layers + 1);
}

static void list_one(struct qtensor *t, const char *name, struct repack_ctx *ctx)
{
    (void)name;
    if (t->packed)
        ctx->list[ctx->n++] = t->packed;
}

/* Calls fn on every matrix a forward pass multiplies with, with its name. */
static void for_each_matrix(struct llm_model *m, void (*fn)(struct qtensor *, const char *, struct repack_ctx *),
                            struct repack_ctx *ctx)
{
    char name[64];
    for (uint32_t l = 0; m->layers && l < m->cfg.n_layers; l++) {
        struct model_matrix mats[MODEL_LAYER_MATRICES];
        model_layer_matrices(&m->cfg, &m->layers[l], mats);
        for (uint32_t i = 0; i < MODEL_LAYER_MATRICES; i++) {
            snprintf(name, sizeof name, "blk.%lu.%s.weight", (unsigned long)l, mats[i].suffix);
            fn(mats[i].t, name, ctx);
        }
    }
    fn(&m->output, m->tied_output ? "token_embd.weight" : "output.weight", ctx);
}

static void repack_one(struct qtensor *t, const char *name, struct repack_ctx *ctx)
{
    if (ctx->rc != 0 || t->packed || !rq_repackable(t->type))
        return;
    t->packed = rq_repack(t, name, ctx->cancel, ctx->err, ctx->errlen);
    if (!t->packed)
        ctx->rc = -1;
}

static void release_one(struct qtensor *t, const char *name, struct repack_ctx *ctx)
{
    (void)name;
    (void)ctx;
    rq_free(t->packed);
    t->packed = NULL;
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
    struct repack_ctx ctx = { cancel, NULL, 0, 0, llm_alloc(tune_list_bytes(&m->cfg), 8), 0 };
    if (!ctx.list)
        return -1;
    for_each_matrix(m, list_one, &ctx);
    int rc = ctx.n ? select_tune(ctx.list, ctx.n, cancel) : 0;
    llm_free(ctx.list);
    return rc;
}

int rq_repack_model(struct llm_model *m, const struct llm_cancel *cancel, char *err, size_t errlen)
{
    uint32_t widest = widest_input(&m->cfg);
    if (select_init(LLM_SELECT_BUDGET_MS, err, errlen) != 0 || matmul_reserve(widest, err, errlen) != 0)
        return -1;
    struct repack_ctx ctx = { cancel, err, errlen, 0, NULL, 0 };
    for_each_matrix(m, repack_one, &ctx);
    if (ctx.rc == 0 && tune(m, cancel) == 1) {
        snprintf(err, errlen, LLM_CANCELLED);
        ctx.rc = -1;
    }
    return ctx.rc;
}

int rq_tune_model(struct llm_model *m)
{
    return tune(m, NULL);
}

void rq_release_model(struct llm_model *m)
{
    for_each_matrix(m, release_one, NULL);
}
