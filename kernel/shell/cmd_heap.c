/* cmd_heap.c: `heaptest [OPS [SEED]]`, a randomized stress of the kernel heap on the
 * real memory map. 256 slots; each step picks one: an empty slot is allocated
 * (kmalloc, kaligned_alloc with alignment 1..4096, or kcalloc), a live one is
 * checked and then freed or reallocated. Sizes are log-distributed from 1 byte
 * up to 64 MiB (at most 1/16 of the largest free block), mostly small. Every block carries a
 * fill pattern that must survive; afterwards the heap must be exactly as
 * before (same use, same free blocks: everything merged back). The host test
 * tests/lib/heap_stress.c runs the long version of this against a model. */
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "lib/memory.h"
#include "lib/string.h"
#include "shell/command.h"

#define SLOTS 256
#define MAX_OPS 100000000ul

struct slot {
    unsigned char *p;
    size_t size, align;
    uint32_t seed;
};

static struct slot slots[SLOTS];
static uint32_t rng_state;
static unsigned long faults;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Log-distributed sizes from 1 byte to max_size, weighted like the host
 * stress: 70% below 1 KiB, 29% below 1 MiB, 1% above (the big ones cost
 * the most time, zeroing and copying). */
static size_t random_size(int max_log2, size_t max_size)
{
    uint32_t r = rnd() % 100;
    int lo = r < 70 ? 0 : r < 99 ? 10 : 20;
    int hi = r < 70 ? 10 : r < 99 ? 20 : max_log2 + 1;
    if (lo >= max_log2)
        lo = 0;
    if (hi > max_log2 + 1)
        hi = max_log2 + 1;
    int e = lo + (int)(rnd() % (uint32_t)(hi - lo));
    size_t size = ((size_t)1 << e) + (rnd() & (((size_t)1 << e) - 1));
    return size > max_size ? max_size : size;
}

static unsigned char pattern(uint32_t seed, size_t k)
{
    return (unsigned char)(seed + (k ^ (k >> 9)) * 0x9d);
}

/* Offset of the j-th pattern byte: every byte of a small block; the first and
 * last 32 and 16 spread points of a large one. */
static size_t pattern_offset(const struct slot *s, size_t j)
{
    if (s->size <= 96)
        return j;
    if (j < 32)
        return j;
    if (j < 64)
        return s->size - 1 - (j - 32);
    return (size_t)((s->seed + (uint32_t)j * 2654435761u) % s->size);
}

static size_t pattern_count(const struct slot *s)
{
    return s->size <= 96 ? s->size : 80;
}

static void fill(const struct slot *s)
{
    for (size_t j = 0; j < pattern_count(s); j++) {
        size_t k = pattern_offset(s, j);
        s->p[k] = pattern(s->seed, k);
    }
}

/* Pattern bytes below 'limit' must be intact. */
static void verify(const struct slot *s, size_t limit)
{
    for (size_t j = 0; j < pattern_count(s); j++) {
        size_t k = pattern_offset(s, j);
        if (k < limit && s->p[k] != pattern(s->seed, k)) {
            if (faults++ < 5)
                kprintf("heaptest: block %p (%u bytes) changed at offset %u\n", (void *)s->p,
                        (unsigned)s->size, (unsigned)k);
            return;
        }
    }
}

static void check_alignment(const struct slot *s)
{
    size_t align = s->align < 16 ? 16 : s->align;
    if ((uintptr_t)s->p % align && faults++ < 5)
        kprintf("heaptest: block %p not aligned to %u\n", (void *)s->p, (unsigned)align);
}

/* NULL must mean out of memory: no free block can hold the request. */
static void check_null(size_t size, size_t align)
{
    struct heap_stats st;
    heap_get_stats(&st);
    if (st.largest_free >= size + align + 256 && faults++ < 5)
        kprintf("heaptest: NULL for %u bytes with a %u-byte free block\n", (unsigned)size,
                (unsigned)st.largest_free);
}

/* One step on one slot; returns 1 if an allocation came back NULL. */
static int step(struct slot *s, int max_log2, size_t max_size)
{
    if (!s->p) {
        uint32_t kind = rnd() % 4;
        s->size = random_size(max_log2, max_size);
        s->align = kind == 1 ? (size_t)1 << (rnd() % 13) : 1;
        s->seed = rnd();
        s->p = kind == 1 ? kaligned_alloc(s->align, s->size)
               : kind == 2 ? kcalloc(1, s->size) : kmalloc(s->size);
        if (!s->p) {
            check_null(s->size, s->align);
            return 1;
        }
        if (kind == 2 && (s->p[0] || s->p[s->size - 1]) && faults++ < 5)
            kprintf("heaptest: kcalloc block %p not zeroed\n", (void *)s->p);
        check_alignment(s);
        fill(s);
        return 0;
    }
    verify(s, s->size);
    if (rnd() % 2) {
        kfree(s->p);
        s->p = NULL;
        return 0;
    }
    size_t new_size = random_size(max_log2, max_size);
    unsigned char *q = krealloc(s->p, new_size);
    if (!q) {
        check_null(new_size, 16);
        return 1;
    }
    s->p = q;
    s->align = 16;
    verify(s, new_size);
    s->size = new_size;
    check_alignment(s);
    fill(s);
    return 0;
}

static int cmd_heaptest(int argc, char **argv)
{
    unsigned long ops = 20000, seed = 0;
    char *end = "";
    if (argc >= 2)
        ops = strtoul(argv[1], &end, 10);
    if (argc >= 3 && !*end)
        seed = strtoul(argv[2], &end, 0);
    if (argc > 3 || *end || ops == 0 || ops > MAX_OPS) {
        kprintf("error: usage: heaptest [OPS [SEED]], OPS from 1 to %lu\n", MAX_OPS);
        return 1;
    }
    if (seed == 0)
        seed = (uint32_t)timer_ns() | 1;   /* xorshift needs a non-zero state */
    struct heap_stats before, after;
    heap_get_stats(&before);
    size_t free_blocks_before = heap_check();

    size_t max_size = before.largest_free / 16;
    if (max_size > (64u << 20))
        max_size = 64u << 20;
    if (max_size < 64) {
        kprintf("error: heaptest: not enough free memory (largest free block %u bytes)\n",
                (unsigned)before.largest_free);
        return 1;
    }
    int max_log2 = 0;
    while (((size_t)2 << max_log2) <= max_size)
        max_log2++;

    memset(slots, 0, sizeof slots);
    faults = 0;
    rng_state = (uint32_t)seed;
    unsigned long nulls = 0;
    uint64_t t0 = timer_ns();
    for (unsigned long i = 0; i < ops; i++) {
        nulls += step(&slots[rnd() % SLOTS], max_log2, max_size);
        if (console_poll_cancel()) {
            kprintf("heaptest: cancelled after %lu ops\n", i + 1);
            ops = i + 1;
            break;
        }
    }
    heap_get_stats(&after);
    size_t peak = after.peak_used;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            verify(&slots[i], slots[i].size);
            kfree(slots[i].p);
            slots[i].p = NULL;
        }
    }
    uint64_t ns = timer_ns() - t0;
    size_t free_blocks_after = heap_check();
    heap_get_stats(&after);
    if (after.used != before.used || after.live_allocations != before.live_allocations ||
        free_blocks_after != free_blocks_before || after.largest_free != before.largest_free) {
        kprintf("heaptest: heap not restored: used %u -> %u bytes, %u -> %u free blocks\n",
                (unsigned)before.used, (unsigned)after.used, (unsigned)free_blocks_before,
                (unsigned)free_blocks_after);
        faults++;
    }
    double secs = (double)ns / 1e9;
    kprintf("heaptest: %lu ops (seed %lu), blocks up to %u KiB, %lu out of memory, heap peak so far %u MiB, "
            "%.2f s (%.0f ops/s)\n", ops, seed, (unsigned)(max_size >> 10), nulls, (unsigned)(peak >> 20),
            secs, secs > 0 ? (double)ops / secs : 0.0);
    if (faults) {
        kprintf("error: heaptest: %lu faults\n", faults);
        return 1;
    }
    kprintf("heaptest: ok, heap intact\n");
    return 0;
}
SHELL_COMMAND(heaptest, "stress the heap with random allocations: heaptest [OPS [SEED]]", cmd_heaptest);
