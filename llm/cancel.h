/* cancel.h: how the engine's caller asks a long step (preparing a model's
 * weights in llm_load_file) to stop: a function the engine polls
 * between matrices and every LLM_CANCEL_ROWS rows of a big one. */
#ifndef LLM_CANCEL_H
#define LLM_CANCEL_H

/* requested(ctx) returns nonzero once the caller wants the work to stop. */
struct llm_cancel {
    int (*requested)(void *ctx);
    void *ctx;
};

/* Rows of a matrix repacked between two polls: a poll per row would cost a
 * call per 576 columns, and 64 rows take well under a millisecond even
 * under emulation. */
#define LLM_CANCEL_ROWS 64

/* The engine's error text for work stopped through an llm_cancel. */
#define LLM_CANCELLED "cancelled"

/* 1 when c (which may be NULL: not cancellable) asks to stop. */
static inline int llm_cancel_requested(const struct llm_cancel *c)
{
    return c && c->requested && c->requested(c->ctx);
}

#endif
