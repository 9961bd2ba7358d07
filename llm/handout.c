/* handout.c: the job hand-out protocol of handout.h. */
#include "handout.h"

/* A range is the rest divided by (workers x this), at least one index: with
 * two workers the first ranges are an eighth of the job, and the last ones
 * single indices. Each range is one call of the job's function, so the
 * divisor trades the calls' overhead against the wait at the end. */
#define HANDOUT_SHARE_DIVISOR 4
#define STATE_GENERATION_SHIFT 8
#define STATE_CLOSED 0x80u
#define STATE_JOINED_MASK 0x7fu

uint32_t handout_generation(const struct handout *h, int order)
{
    return __atomic_load_n(&h->state, order) >> STATE_GENERATION_SHIFT;
}

void handout_publish(struct handout *h, uint32_t n, handout_fn fn, void *ctx, uint32_t workers)
{
    h->fn = fn;
    h->ctx = ctx;
    h->n = n;
    h->workers = workers;
    h->next = 0;
    h->finished = 0;
    /* Publishes the fields above: a worker reads them only after joining. */
    uint32_t generation = handout_generation(h, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&h->state, generation << STATE_GENERATION_SHIFT, __ATOMIC_SEQ_CST);
}

int handout_join(struct handout *h, uint32_t generation)
{
    uint32_t s = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
    while (s >> STATE_GENERATION_SHIFT == generation && !(s & STATE_CLOSED)) {
        if (__atomic_compare_exchange_n(&h->state, &s, s + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 1;
    }
    return 0;
}

uint32_t handout_take(struct handout *h, uint32_t worker)
{
    uint32_t ranges = 0, share = h->workers * HANDOUT_SHARE_DIVISOR;
    uint32_t begin = __atomic_load_n(&h->next, __ATOMIC_RELAXED), end;
    for (;;) {
        do {
            if (begin >= h->n)
                return ranges;
            uint32_t size = (h->n - begin) / share;
            end = begin + (size ? size : 1);
        } while (!__atomic_compare_exchange_n(&h->next, &begin, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        h->fn(h->ctx, begin, end, worker);
        ranges++;
        begin = __atomic_load_n(&h->next, __ATOMIC_RELAXED);
    }
}

void handout_leave(struct handout *h)
{
    __atomic_fetch_add(&h->finished, 1, __ATOMIC_RELEASE);
}

void handout_close_and_wait(struct handout *h)
{
    uint32_t joined = __atomic_fetch_or(&h->state, STATE_CLOSED, __ATOMIC_SEQ_CST) & STATE_JOINED_MASK;
    uint32_t polls = 0;
    while (__atomic_load_n(&h->finished, __ATOMIC_ACQUIRE) != joined)
        handout_spin(&polls);
}
