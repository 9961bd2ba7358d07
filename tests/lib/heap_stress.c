/* heap_stress.c: randomized stress of the kernel heap (kernel/lib/memory.c)
 * against a simple model, and the same workload timed against glibc malloc.
 *
 *   lib_heap_stress stress OPS SEED   verify every operation; exit 1 on a fault
 *   lib_heap_stress bench OPS         ops/s of the kernel heap and of glibc (best of 3)
 *
 * The workload: 1024 slots; each step picks one at random and allocates it
 * (malloc, aligned_alloc with an alignment from 1 to 4096, calloc, or
 * kaligned_alloc_lasting, which cuts from the top of the heap) when it
 * is empty, or frees or reallocates it (up or down) when it is live. Sizes are
 * log-distributed from 1 byte to 64 MiB. The heap gets three unaligned
 * regions (48, 160 and 400 MiB) cut from one mapping, so it also runs out of
 * memory now and then; a NULL is accepted only when no free block is large
 * enough. The model checks fill patterns, alignment, bounds, the header walk
 * and non-overlap, and at the end that every region is one free block again. */
#include "lib/memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define SLOTS 1024
#define MAX_SIZE (64u << 20)
#define REGIONS 3

static const size_t region_sizes[REGIONS] = { 48u << 20, 160u << 20, 400u << 20 };
static struct heap_region regions[REGIONS];

void heap_fatal(const char *what, const void *addr)
{
    printf("heap_fatal: %s at %p\n", what, addr);
    exit(2);
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Log-distributed size in [1, 64 MiB], weighted towards small blocks the way
 * a kernel's allocations are: 70% up to 1 KiB, 29% up to 1 MiB, 1% larger
 * (whose zeroing and copying would otherwise dominate the run time). */
static int small_only; /* benchmark variant: only the up-to-1-KiB tier */

static size_t random_size(void)
{
    uint32_t r = small_only ? 0 : rnd() % 100;
    int lo = r < 70 ? 0 : r < 99 ? 10 : 20;
    int hi = r < 70 ? 10 : r < 99 ? 20 : 26;
    int e = lo + (int)(rnd() % (uint32_t)(hi - lo));
    size_t size = ((size_t)1 << e) + (rnd() & (((size_t)1 << e) - 1));
    return size > MAX_SIZE ? MAX_SIZE : size;
}

static void map_regions(void)
{
    size_t total = 0;
    for (int i = 0; i < REGIONS; i++)
        total += region_sizes[i] + (1u << 20);
    char *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    /* Odd starts and 1 MiB gaps: heap_init must align and keep regions apart. */
    for (int i = 0; i < REGIONS; i++) {
        regions[i].start = (uintptr_t)base + 5 + 3 * i;
        regions[i].size = region_sizes[i];
        base += region_sizes[i] + (1u << 20);
    }
}

/* ---- the model ---- */

struct slot {
    unsigned char *p;
    size_t size, align;
    uint32_t seed;
};

static struct slot slots[SLOTS];
static long failures;

#define FAIL(...)                                   \
    do {                                            \
        if (failures++ < 20) {                      \
            printf("FAIL: " __VA_ARGS__);           \
            printf("\n");                           \
        }                                           \
    } while (0)

static unsigned char pattern(uint32_t seed, size_t k)
{
    return (unsigned char)(seed + (k ^ (k >> 9)) * 0x9d);
}

/* Offsets that carry the pattern: every byte of small blocks, the ends and 32
 * seed-chosen points of large ones (filling 64 MiB per step would dominate). */
#define SAMPLES 32
static size_t sample_offset(const struct slot *s, int j)
{
    return (size_t)((s->seed * 2654435761u + (uint32_t)j * 40503u) * 2246822519u) % s->size;
}

static void fill(const struct slot *s)
{
    if (s->size <= 512) {
        for (size_t k = 0; k < s->size; k++)
            s->p[k] = pattern(s->seed, k);
        return;
    }
    for (size_t k = 0; k < 64; k++) {
        s->p[k] = pattern(s->seed, k);
        s->p[s->size - 1 - k] = pattern(s->seed, s->size - 1 - k);
    }
    for (int j = 0; j < SAMPLES; j++) {
        size_t k = sample_offset(s, j);
        s->p[k] = pattern(s->seed, k);
    }
}

/* Checks the pattern at offsets below 'limit' (a shrunk realloc keeps only those). */
static void verify(const struct slot *s, size_t limit, const char *when)
{
    size_t bad = (size_t)-1;
    if (s->size <= 512) {
        for (size_t k = 0; k < s->size && k < limit && bad == (size_t)-1; k++)
            if (s->p[k] != pattern(s->seed, k))
                bad = k;
    } else {
        for (size_t k = 0; k < 64; k++) {
            size_t ends[2] = { k, s->size - 1 - k };
            for (int e = 0; e < 2; e++)
                if (ends[e] < limit && s->p[ends[e]] != pattern(s->seed, ends[e]))
                    bad = ends[e];
        }
        for (int j = 0; j < SAMPLES; j++) {
            size_t k = sample_offset(s, j);
            if (k < limit && s->p[k] != pattern(s->seed, k))
                bad = k;
        }
    }
    if (bad != (size_t)-1)
        FAIL("%s: block %p size %zu lost its pattern at offset %zu", when, (void *)s->p, s->size, bad);
}

static void check_placement(const struct slot *s)
{
    size_t align = s->align < 16 ? 16 : s->align;
    if ((uintptr_t)s->p % align)
        FAIL("block %p not aligned to %zu", (void *)s->p, align);
    for (int i = 0; i < REGIONS; i++)
        if ((uintptr_t)s->p >= regions[i].start && (uintptr_t)s->p + s->size <= regions[i].start + regions[i].size)
            return;
    FAIL("block %p size %zu outside every region", (void *)s->p, s->size);
}

/* A NULL is legitimate only when no free block could hold the request. */
static void check_oom(size_t size, size_t align)
{
    struct heap_stats st;
    heap_get_stats(&st);
    if (st.largest_free >= size + align + 256)
        FAIL("NULL for %zu bytes (align %zu) with a %zu-byte free block", size, align, st.largest_free);
}

static int by_address(const void *a, const void *b)
{
    const struct slot *x = *(const struct slot *const *)a, *y = *(const struct slot *const *)b;
    return (x->p > y->p) - (x->p < y->p);
}

static void check_no_overlap(void)
{
    static const struct slot *live[SLOTS];
    size_t n = 0;
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p)
            live[n++] = &slots[i];
    qsort(live, n, sizeof *live, by_address);
    for (size_t i = 1; i < n; i++)
        if (live[i - 1]->p + live[i - 1]->size > live[i]->p)
            FAIL("blocks %p+%zu and %p overlap", (void *)live[i - 1]->p, live[i - 1]->size, (void *)live[i]->p);
    struct heap_stats st;
    heap_get_stats(&st);
    if (st.live_allocations != n)
        FAIL("stats count %zu live allocations, the model %zu", st.live_allocations, n);
    heap_check();
}

static void stress_step(struct slot *s)
{
    if (!s->p) {
        uint32_t kind = rnd() % 5;
        s->size = random_size();
        s->align = kind == 1 || kind == 4 ? (size_t)1 << (rnd() % 13) : 1;
        s->seed = rnd();
        s->p = kind == 1 ? kaligned_alloc(s->align, s->size) : kind == 2 ? kcalloc(1, s->size)
               : kind == 4 ? kaligned_alloc_lasting(s->align, s->size) : kmalloc(s->size);
        if (!s->p) {
            check_oom(s->size, s->align);
            return;
        }
        check_placement(s);
        if (kind == 2) {
            for (size_t k = 0; k < 64 && k < s->size; k++)
                if (s->p[k] || s->p[s->size - 1 - k]) {
                    FAIL("calloc block %p not zeroed", (void *)s->p);
                    break;
                }
        }
        fill(s);
        return;
    }
    verify(s, (size_t)-1, "before free/realloc");
    if (rnd() % 2) {
        kfree(s->p);
        s->p = NULL;
        return;
    }
    /* Realloc: half the time a small change (in place), else a new size. */
    size_t new_size = rnd() % 2 ? s->size + (rnd() % 512) - 256 : random_size();
    if (new_size == 0 || new_size > MAX_SIZE)
        new_size = 1;
    unsigned char *q = krealloc(s->p, new_size);
    if (!q) {
        check_oom(new_size, 16);
        verify(s, (size_t)-1, "after a failed realloc");
        return;
    }
    s->p = q;
    s->align = 16; /* realloc keeps the default alignment only */
    size_t kept = new_size < s->size ? new_size : s->size;
    verify(s, kept, "after realloc");
    s->size = new_size;
    check_placement(s);
    fill(s);
}

static int run_stress(long ops, uint64_t seed)
{
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    heap_init(regions, REGIONS);
    struct heap_stats st;
    heap_get_stats(&st);
    size_t largest_region = st.largest_free;
    long nulls = 0;
    for (long i = 0; i < ops; i++) {
        struct slot *s = &slots[rnd() % SLOTS];
        int was_empty = !s->p;
        stress_step(s);
        nulls += was_empty && !s->p;
        if (i % 65536 == 65535)
            check_no_overlap();
        if (failures >= 20)
            break;
    }
    check_no_overlap();
    heap_get_stats(&st);
    printf("peak used %zu of %zu bytes, %ld allocations out of memory\n", st.peak_used, st.total, nulls);
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            verify(&slots[i], (size_t)-1, "at the end");
            kfree(slots[i].p);
            slots[i].p = NULL;
        }
    }
    size_t free_blocks = heap_check();
    heap_get_stats(&st);
    if (free_blocks != REGIONS || st.used != 0 || st.live_allocations != 0 || st.free != st.total ||
        st.largest_free != largest_region)
        FAIL("after freeing everything: %zu free blocks, used %zu, live %zu, free %zu of %zu, largest %zu of %zu",
             free_blocks, st.used, st.live_allocations, st.free, st.total, st.largest_free, largest_region);
    printf("heap stress: %ld ops, %ld failures\n", ops, failures);
    return failures ? 1 : 0;
}

/* ---- the benchmark: the same workload, no checking, two allocators ---- */

struct allocator {
    const char *name;
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*aligned_alloc)(size_t, size_t);
};

static double bench(const struct allocator *a, long ops)
{
    rng_state = 12345;
    memset(slots, 0, sizeof slots);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < ops; i++) {
        struct slot *s = &slots[rnd() % SLOTS];
        uint32_t kind = rnd() % 4;
        if (!s->p) {
            size_t size = random_size();
            s->p = kind == 1 ? a->aligned_alloc((size_t)1 << (rnd() % 13), size)
                   : kind == 2 ? a->calloc(1, size) : a->malloc(size);
            if (s->p)
                s->p[0] = 1; /* touch it, as a real user would */
        } else if (kind < 2) {
            a->free(s->p);
            s->p = NULL;
        } else {
            unsigned char *q = a->realloc(s->p, random_size());
            if (q)
                s->p = q;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p)
            a->free(slots[i].p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    return (double)ops / secs;
}

/* Alternates the two allocators for three rounds and keeps each one's best,
 * so a burst of load on the machine does not decide the ratio. */
static int run_bench(long ops)
{
    const struct allocator kernel = { "kernel heap", kmalloc, kfree, kcalloc, krealloc, kaligned_alloc };
    const struct allocator glibc = { "glibc malloc", malloc, free, calloc, realloc, aligned_alloc };
    static const char *const workloads[] = { "mixed 1 B..64 MiB", "small 1 B..1 KiB" };
    for (small_only = 0; small_only < 2; small_only++) {
        double k = 0, g = 0;
        for (int round = 0; round < 3; round++) {
            heap_init(regions, REGIONS);
            double kr = bench(&kernel, ops), gr = bench(&glibc, ops);
            k = kr > k ? kr : k;
            g = gr > g ? gr : g;
        }
        printf("%s: kernel heap %.0f ops/s, glibc malloc %.0f ops/s, ratio %.2f\n",
               workloads[small_only], k, g, k / g);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "stress") && strcmp(argv[1], "bench"))) {
        fprintf(stderr, "usage: %s stress OPS SEED | bench OPS\n", argv[0]);
        return 2;
    }
    map_regions();
    long ops = strtol(argv[2], NULL, 0);
    if (!strcmp(argv[1], "bench"))
        return run_bench(ops);
    return run_stress(ops, argc > 3 ? strtoull(argv[3], NULL, 0) : 1);
}
