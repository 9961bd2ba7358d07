/* handout.c: the job hand-out protocol of handout.h. */
#include "handout.h"

/* A range is the rest of its region divided by this, at least one index:
 * the first range of a worker is half its region, the last ones single
 * indices. Each range is one call of the job's function and one atomic
 * operation, so the divisor trades their cost against the wait at the end. */
#define HANDOUT_SHARE_DIVISOR 2
#define STATE_GENERATION_SHIFT 8
#define STATE_CLOSED 0x80u
#define STATE_JOINED_MASK 0x7fu

uint32_t handout_generation(const struct handout *h, int order)
{
    return __atomic_load_n(&h->state, order) >> STATE_GENERATION_SHIFT;
}

/* floor(n * w / workers) without a 64-bit product (no 64-bit division in
 * the 32-bit kernel): region w of the job starts there. */
static uint32_t region_start(uint32_t n, uint32_t w, uint32_t workers)
{
    return n / workers * w + n % workers * w / workers;
}

void handout_publish(struct handout *h, uint32_t n, handout_fn fn, void *ctx, uint32_t workers)
{
    h->fn = fn;
    h->ctx = ctx;
    h->n = n;
    h->workers = workers;
    h->finished = 0;
    for (uint32_t w = 0; w < workers; w++) {
        h->region[w].next = region_start(n, w, workers);
        h->region[w].end = region_start(n, w + 1, workers);
    }
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

/* Runs ranges from region r until it is empty; how many. */
static uint32_t take_region(struct handout *h, struct handout_region *r, uint32_t worker)
{
    uint32_t ranges = 0, end = r->end;
    uint32_t begin = __atomic_load_n(&r->next, __ATOMIC_RELAXED), stop;
    for (;;) {
        do {
            if (begin >= end)
                return ranges;
            uint32_t size = (end - begin) / HANDOUT_SHARE_DIVISOR;
            stop = begin + (size ? size : 1);
        } while (!__atomic_compare_exchange_n(&r->next, &begin, stop, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        h->fn(h->ctx, begin, stop, worker);
        ranges++;
        begin = __atomic_load_n(&r->next, __ATOMIC_RELAXED);
    }
}

uint32_t handout_take(struct handout *h, uint32_t worker)
{
    uint32_t ranges = 0, workers = h->workers;
    for (uint32_t k = 0; k < workers; k++)
        ranges += take_region(h, &h->region[(worker + k) % workers], worker);
    return ranges;
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
