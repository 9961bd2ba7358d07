/* repack_model.c: repacks a loaded model's matrices of the formats
 * rq_repackable names (Q4_1, Q8_0, Q4_0, Q5_0) for the integer kernels
 * (quant_matmul then uses them) and releases them again.
 * Norms, the token embedding (read row by row) and other types stay as they
 * are in the file.
 */
#include "repack_model.h"

#include "matmul/matmul.h"
#include "matmul/select.h"
#include "model.h"
#include "params.h"
#include "platform.h"

struct repack_ctx {
    char *err;
    size_t errlen;
    int rc;
    struct rq_matrix **list; /* the repacked matrices, for select_tune */
    uint32_t n;
};

static void list_one(struct qtensor *t, struct repack_ctx *ctx)
{
    if (t->packed)
        ctx->list[ctx->n++] = t->packed;
}

/* Calls fn on every matrix a forward pass multiplies with. */
static void for_each_matrix(struct llm_model *m, void (*fn)(struct qtensor *, struct repack_ctx *),
                            struct repack_ctx *ctx)
{
    for (uint32_t l = 0; m->layers && l < m->cfg.n_layers; l++) {
        struct model_layer *L = &m->layers[l];
        struct qtensor *mats[] = { &L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_down, &L->w_up };
        for (uint32_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
            fn(mats[i], ctx);
    }
    fn(&m->output, ctx);
}

static void repack_one(struct qtensor *t, struct repack_ctx *ctx)
{
    if (ctx->rc != 0 || t->packed || !rq_repackable(t->type))
        return;
    t->packed = rq_repack(t, ctx->err, ctx->errlen);
    if (!t->packed)
        ctx->rc = -1;
}

static void release_one(struct qtensor *t, struct repack_ctx *ctx)
{
    (void)ctx;
    rq_free(t->packed);
    t->packed = NULL;
}

int rq_repack_model(struct llm_model *m, char *err, size_t errlen)
{
    const struct model_config *c = &m->cfg;
    uint32_t widest = c->dim > c->hidden_dim ? c->dim : c->hidden_dim;
    if (c->n_heads * c->head_dim > widest)
        widest = c->n_heads * c->head_dim;
    if (select_init(LLM_SELECT_BUDGET_MS, err, errlen) != 0 || matmul_reserve(widest, err, errlen) != 0)
        return -1;
    struct repack_ctx ctx = { err, errlen, 0, NULL, 0 };
    for_each_matrix(m, repack_one, &ctx);
    if (ctx.rc == 0)
        rq_tune_model(m);
    return ctx.rc;
}

int rq_tune_model(struct llm_model *m)
{
    struct repack_ctx ctx = { NULL, 0, 0, llm_alloc(sizeof(struct rq_matrix *) * (7 * m->cfg.n_layers + 1), 8), 0 };
    if (!ctx.list)
        return -1; /* the choice made on the test matrix stays */
    for_each_matrix(m, list_one, &ctx);
    int rc = ctx.n ? select_tune(ctx.list, ctx.n) : 0;
    llm_free(ctx.list);
    return rc;
}

void rq_release_model(struct llm_model *m)
{
    for_each_matrix(m, release_one, NULL);
}
