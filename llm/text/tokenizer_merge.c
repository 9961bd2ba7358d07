/* tokenizer_merge.c: the merge loop both BPE families share. A word is a
 * linked list of symbols; every adjacent pair that may merge is a candidate
 * in a min-heap ordered by (rank, position). The best candidate merges, and
 * the new symbol's pairs with its neighbours become candidates: O(n log n)
 * per word, with results identical to rescanning all pairs after each merge
 * (best rank, leftmost on ties). */
#include "platform.h"
#include "text/tokenizer_internal.h"

struct merge_ctx {
    const tokenizer *tok;
    const uint8_t *text;
    struct tok_sym *s;
    struct tok_cand *heap;
    uint32_t n_heap;
    tok_pair_fn pair;
};

static int cand_before(const struct tok_cand *a, const struct tok_cand *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(struct merge_ctx *c, struct tok_cand v)
{
    uint32_t i = c->n_heap++;
    while (i > 0 && cand_before(&v, &c->heap[(i - 1) / 2])) {
        c->heap[i] = c->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->heap[i] = v;
}

static struct tok_cand heap_pop(struct merge_ctx *c)
{
    struct tok_cand top = c->heap[0], last = c->heap[--c->n_heap];
    uint32_t i = 0;
    for (;;) {
        uint32_t k = 2 * i + 1;
        if (k >= c->n_heap)
            break;
        if (k + 1 < c->n_heap && cand_before(&c->heap[k + 1], &c->heap[k]))
            k++;
        if (!cand_before(&c->heap[k], &last))
            break;
        c->heap[i] = c->heap[k];
        i = k;
    }
    c->heap[i] = last;
    return top;
}

static void try_pair(struct merge_ctx *c, int32_t left)
{
    if (left < 0)
        return;
    int32_t right = c->s[left].next;
    if (right < 0 || c->s[left].id < 0 || c->s[right].id < 0)
        return;
    struct tok_cand v = {0, left, c->s[left].id, c->s[right].id, -1};
    if (c->pair(c->tok, c->text, &c->s[left], &c->s[right], &v.rank, &v.result))
        heap_push(c, v);
}

void tok_merge_symbols(const tokenizer *tok, const uint8_t *text, struct tok_sym *s, int32_t n,
                       struct tok_cand *heap, tok_pair_fn pair)
{
    struct merge_ctx c = {tok, text, s, heap, 0, pair};
    for (int32_t k = 0; k + 1 < n; k++)
        try_pair(&c, k);
    while (c.n_heap) {
        struct tok_cand v = heap_pop(&c);
        int32_t l = v.left, r = s[l].next;
        /* A symbol's id changes whenever it grows, so equal ids mean the
         * pair is still the one this candidate was made for. */
        if (s[l].id != v.left_id || r < 0 || s[r].id != v.right_id)
            continue;
        s[l].id = v.result;
        s[l].len += s[r].len;
        s[l].next = s[r].next;
        if (s[r].next >= 0)
            s[s[r].next].prev = l;
        s[r].id = -1;
        try_pair(&c, s[l].prev);
        try_pair(&c, l);
    }
}

int tok_emit_symbols(const struct tok_sym *s, int32_t n, int32_t *out, uint32_t max_ids,
                     uint32_t *n_out)
{
    for (int32_t k = n ? 0 : -1; k >= 0; k = s[k].next) {
        if (s[k].id < 0)
            continue; /* no piece for it in the vocab: dropped */
        if (*n_out == max_ids)
            return TOK_ERR_TOO_MANY;
        out[(*n_out)++] = s[k].id;
    }
    return 0;
}
