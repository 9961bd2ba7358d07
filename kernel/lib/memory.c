/* memory.c: the kernel heap.
 *
 * Every region handed to heap_init is carved into blocks with boundary tags:
 * a header in front of each block records its size (low bit: in use), the
 * size of the block physically before it (so neighbours merge in O(1)) and a
 * canary computed from both sizes and the block's own address, so an overrun
 * into a header, a double free or a pointer the heap never returned is caught
 * before it spreads. Each region ends in a permanently used zero-size fence.
 *
 * Free blocks live in segregated lists: one exact list per 16-byte size below
 * 1 KiB (small allocations pop the head of their list) and eight lists per
 * power of two above, with a bitmap to find the next non-empty list in a few
 * instructions. Blocks are split exactly and merged with both free neighbours
 * on free, so the heap never holds two adjacent free blocks.
 *
 * Memory that stays for the whole boot (kaligned_alloc_lasting) is cut from
 * the top end of the highest region instead, so it never lands in the middle
 * of the big free block that a model file needs in one piece.
 */
#include "lib/memory.h"
#include "lib/string.h"

#define ALIGN 16u
#define USED 1u
#define HEAP_MAGIC 0x6b48e3a5u
#define DEAD_MAGIC 0xdeadf4eeu
#define MAX_REGIONS 32

struct block {
    size_t size;      /* whole block including the header; bit 0 = USED */
    size_t prev_size; /* whole size of the block before it, 0 for a region's first */
    uint32_t canary;
};

/* Free blocks keep their list links at the start of the payload. */
struct links {
    struct block *next, *prev;
};

#define HEADER ((sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))
#define MIN_BLOCK ((HEADER + sizeof(struct links) + ALIGN - 1) & ~(size_t)(ALIGN - 1))
#define MAX_REQUEST (((size_t)-1) / 2)

/* Bins: 64 exact ones (16-byte steps below 1 KiB), then 8 per power of two. */
#define SMALL_LIMIT 1024u
#define SMALL_BINS (SMALL_LIMIT / ALIGN)
#define SUB_BINS 8
#define FIRST_LARGE_LOG2 10
#define LARGE_LOG2_COUNT (sizeof(size_t) * 8 - FIRST_LARGE_LOG2)
#define BIN_COUNT (SMALL_BINS + LARGE_LOG2_COUNT * SUB_BINS)
#define BITMAP_WORDS ((BIN_COUNT + 31) / 32)
/* How many blocks of the first candidate list to try before moving up. */
#define BIN_SCAN_LIMIT 16

struct region {
    struct block *first;
    struct block *fence;
};

static struct {
    struct block *bins[BIN_COUNT];
    uint32_t bitmap[BITMAP_WORDS];
    struct region regions[MAX_REGIONS];
    int region_count;
    size_t total, free_bytes, live, peak_used;
} heap;

static size_t block_size(const struct block *b) { return b->size & ~(size_t)(ALIGN - 1); }
static int is_used(const struct block *b) { return b->size & USED; }
static struct block *next_block(struct block *b) { return (struct block *)((char *)b + block_size(b)); }
static void *payload(struct block *b) { return (char *)b + HEADER; }
static struct links *links_of(struct block *b) { return (struct links *)payload(b); }

static uint32_t canary_of(const struct block *b)
{
    uint64_t mix = (uint64_t)b->size * 0x9e3779b97f4a7c15ull ^ (uint64_t)b->prev_size * 0xc2b2ae3d27d4eb4full ^
                   (uint64_t)(uintptr_t)b;
    return (uint32_t)(mix ^ (mix >> 32)) ^ HEAP_MAGIC;
}

static void set_header(struct block *b, size_t size_and_flags, size_t prev_size)
{
    b->size = size_and_flags;
    b->prev_size = prev_size;
    b->canary = canary_of(b);
}

static void set_prev_size(struct block *b, size_t prev_size)
{
    set_header(b, b->size, prev_size);
}

/* A header merged into a neighbour: a later free of its pointer is a double free. */
static void retire_header(struct block *b)
{
    b->canary = DEAD_MAGIC ^ (uint32_t)(uintptr_t)b;
}

static void check_header(struct block *b)
{
    if (b->canary != canary_of(b))
        heap_fatal("corrupted block header", b);
}

static int bin_of(size_t size)
{
    if (size < SMALL_LIMIT)
        return (int)(size / ALIGN);
    int log2 = (int)(sizeof(unsigned long) * 8 - 1) - __builtin_clzl(size);
    int sub = (int)(size >> (log2 - 3)) & (SUB_BINS - 1);
    return (int)SMALL_BINS + (log2 - FIRST_LARGE_LOG2) * SUB_BINS + sub;
}

static void insert_free(struct block *b)
{
    int i = bin_of(block_size(b));
    struct links *l = links_of(b);
    l->prev = NULL;
    l->next = heap.bins[i];
    if (l->next)
        links_of(l->next)->prev = b;
    heap.bins[i] = b;
    heap.bitmap[i / 32] |= 1u << (i % 32);
    heap.free_bytes += block_size(b);
}

static struct region *region_of(const void *p)
{
    for (int i = 0; i < heap.region_count; i++)
        if ((const char *)p > (const char *)heap.regions[i].first &&
            (const char *)p < (const char *)heap.regions[i].fence)
            return &heap.regions[i];
    return NULL;
}

/* A list link is NULL or the aligned address of a block inside the heap. */
static int plausible_link(struct block *x)
{
    return !x || ((uintptr_t)x % ALIGN == 0 && region_of(payload(x)));
}

static void unlink_free(struct block *b)
{
    int i = bin_of(block_size(b));
    struct links *l = links_of(b);
    /* Links live in free memory a stray write can reach: check that they
     * point into the heap and back at b before following them. */
    if (!plausible_link(l->prev) || !plausible_link(l->next) ||
        (l->prev ? links_of(l->prev)->next != b : heap.bins[i] != b) ||
        (l->next && links_of(l->next)->prev != b))
        heap_fatal("corrupted free list", b);
    if (l->prev)
        links_of(l->prev)->next = l->next;
    else
        heap.bins[i] = l->next;
    if (l->next)
        links_of(l->next)->prev = l->prev;
    if (!heap.bins[i])
        heap.bitmap[i / 32] &= ~(1u << (i % 32));
    heap.free_bytes -= block_size(b);
}

/* First non-empty bin at index >= i, or -1. */
static int next_nonempty_bin(int i)
{
    for (int w = i / 32; w < (int)BITMAP_WORDS; w++) {
        uint32_t bits = heap.bitmap[w];
        if (w == i / 32)
            bits &= ~0u << (i % 32);
        if (bits)
            return w * 32 + __builtin_ctz(bits);
    }
    return -1;
}

/* First block of at least 'need' bytes in bin i, looking at most 'limit' blocks. */
static struct block *first_fit(int i, size_t need, size_t limit)
{
    for (struct block *b = heap.bins[i]; b && limit--; b = links_of(b)->next)
        if (block_size(b) >= need)
            return b;
    return NULL;
}

/* Removes and returns a free block of at least 'need' bytes, or NULL. */
static struct block *take_free(size_t need)
{
    int i = bin_of(need);
    struct block *b = first_fit(i, need, BIN_SCAN_LIMIT);
    if (!b) {
        /* Every block in a higher bin is larger than anything that maps to bin i;
         * the rest of bin i is the last resort before running out of memory. */
        int higher = next_nonempty_bin(i + 1);
        b = higher >= 0 ? heap.bins[higher] : first_fit(i, need, (size_t)-1);
    }
    if (b)
        unlink_free(b);
    return b;
}

/* Makes b exactly 'size' bytes if the rest can form a block of its own; the
 * rest becomes free, merged with the following block when that is free. */
static void split_tail(struct block *b, size_t size)
{
    size_t whole = block_size(b);
    if (whole - size < MIN_BLOCK)
        return;
    struct block *after = next_block(b);
    check_header(after);
    struct block *rest = (struct block *)((char *)b + size);
    size_t rest_size = whole - size;
    if (!is_used(after)) {
        unlink_free(after);
        rest_size += block_size(after);
        retire_header(after);
        after = (struct block *)((char *)rest + rest_size);
    }
    set_header(b, size | (b->size & USED), b->prev_size);
    set_header(rest, rest_size, size);
    set_prev_size(after, rest_size);
    insert_free(rest);
}

static void account_allocation(void)
{
    size_t used = heap.total - heap.free_bytes;
    heap.live++;
    if (used > heap.peak_used)
        heap.peak_used = used;
}

/* Marks a block taken from the free lists as used, trimmed to 'need'. */
static void *hand_out(struct block *b, size_t need)
{
    set_header(b, block_size(b) | USED, b->prev_size);
    split_tail(b, need);
    account_allocation();
    return payload(b);
}

/* Bytes of block needed for a request, or 0 if the request is impossible. */
static size_t needed_size(size_t request)
{
    if (request > MAX_REQUEST)
        return 0;
    size_t need = (request + HEADER + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

void heap_init(const struct heap_region *regions, int count)
{
    memset(&heap, 0, sizeof heap);
    for (int i = 0; i < count && heap.region_count < MAX_REGIONS; i++) {
        uintptr_t start = (regions[i].start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
        if (start < regions[i].start || start - regions[i].start >= regions[i].size)
            continue;
        size_t size = regions[i].size - (start - regions[i].start);
        if (size > UINTPTR_MAX - start)
            size = UINTPTR_MAX - start;   /* a region ending at the top of the address space */
        size &= ~(size_t)(ALIGN - 1);
        if (size < MIN_BLOCK + HEADER)
            continue;
        struct block *first = (struct block *)start;
        struct block *fence = (struct block *)(start + size - HEADER);
        size_t usable = size - HEADER;
        set_header(first, usable, 0);
        set_header(fence, 0 | USED, usable);
        heap.regions[heap.region_count++] = (struct region){ first, fence };
        heap.total += usable;
        insert_free(first);
    }
}

void *kmalloc(size_t size)
{
    size_t need = needed_size(size);
    if (!need)
        return NULL;
    struct block *b = take_free(need);
    return b ? hand_out(b, need) : NULL;
}

void *kcalloc(size_t n, size_t size)
{
    if (size && n > MAX_REQUEST / size)
        return NULL;
    void *p = kmalloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *kaligned_alloc(size_t align, size_t size)
{
    if (align == 0 || (align & (align - 1)) || align > 4096)
        return NULL;
    if (align <= ALIGN)
        return kmalloc(size);
    size_t need = needed_size(size);
    if (!need || need > MAX_REQUEST - align - MIN_BLOCK)
        return NULL;
    /* Room to move the payload to the boundary and free the gap in front. */
    struct block *b = take_free(need + align + MIN_BLOCK);
    if (!b)
        return NULL;
    uintptr_t p = (uintptr_t)payload(b);
    size_t gap = ((p + align - 1) & ~(uintptr_t)(align - 1)) - p;
    while (gap != 0 && gap < MIN_BLOCK)
        gap += align;
    if (gap) {
        /* The gap becomes a free block; the block before b is in use, as b was free. */
        struct block *rest = (struct block *)((char *)b + gap);
        size_t rest_size = block_size(b) - gap;
        set_header(rest, rest_size, gap);
        set_prev_size(next_block(rest), rest_size);
        set_header(b, gap, b->prev_size);
        insert_free(b);
        b = rest;
    }
    return hand_out(b, need);
}

void *kaligned_alloc_lasting(size_t align, size_t size)
{
    if (align == 0 || (align & (align - 1)) || align > 4096)
        return NULL;
    if (align < ALIGN)
        align = ALIGN;
    size_t need = needed_size(size);
    if (!need || need > MAX_REQUEST - align)
        return NULL;
    /* In the highest region, the highest free block that can give up a tail
     * of this size while its head stays a block of its own: walking down
     * from the fence over the lasting blocks already stacked there and the
     * slivers left between them. */
    struct block *fence = NULL;
    for (int k = 0; k < heap.region_count; k++)
        if (!fence || heap.regions[k].fence > fence)
            fence = heap.regions[k].fence;
    struct block *top = NULL, *above = fence, *u = NULL;
    while (!top && above && above->prev_size) {
        struct block *b = (struct block *)((char *)above - above->prev_size);
        check_header(b);
        if (!is_used(b)) {
            uintptr_t p = ((uintptr_t)above - (need - HEADER)) & ~(uintptr_t)(align - 1);
            u = (struct block *)(p - HEADER);
            if (p <= (uintptr_t)above && (uintptr_t)u >= (uintptr_t)b + MIN_BLOCK)
                top = b;
        }
        if (!top)
            above = b;
    }
    if (!top)
        return kaligned_alloc(align, size);
    unlink_free(top);
    size_t head = (size_t)((char *)u - (char *)top);
    size_t used = (size_t)((char *)above - (char *)u);
    set_header(top, head, top->prev_size);
    insert_free(top);
    set_header(u, used | USED, head);
    set_prev_size(above, used);
    account_allocation();
    return payload(u);
}

/* Header of a pointer given to kfree/krealloc, after checking the heap really
 * handed it out and it is still live; never returns on misuse. */
static struct block *live_block(void *p)
{
    struct region *r = region_of(p);
    if (!r || (uintptr_t)p % ALIGN)
        heap_fatal("free of a pointer the heap never returned", p);
    struct block *b = (struct block *)((char *)p - HEADER);
    if (b->canary == (DEAD_MAGIC ^ (uint32_t)(uintptr_t)b))
        heap_fatal("double free", p);
    if (b->canary != canary_of(b)) {
        /* Either p is not a block start, or its header was overwritten: walk
         * the region's blocks to tell which. */
        struct block *w = r->first;
        while (w < b) {
            check_header(w);
            w = next_block(w);
        }
        heap_fatal(w == b ? "corrupted block header" : "free of a pointer the heap never returned",
                   w == b ? (void *)b : p);
    }
    if (!is_used(b))
        heap_fatal("double free", p);
    return b;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct block *b = live_block(p);
    size_t size = block_size(b);
    struct block *after = next_block(b);
    check_header(after);
    if (!is_used(after)) {
        unlink_free(after);
        size += block_size(after);
        retire_header(after);
    }
    if (b->prev_size) {
        struct block *before = (struct block *)((char *)b - b->prev_size);
        check_header(before);
        if (!is_used(before)) {
            unlink_free(before);
            size += block_size(before);
            retire_header(b);
            b = before;
        }
    }
    set_header(b, size, b->prev_size);
    set_prev_size(next_block(b), size);
    insert_free(b);
    heap.live--;
}

void *krealloc(void *p, size_t size)
{
    if (!p)
        return kmalloc(size);
    if (size == 0) {
        kfree(p);
        return NULL;
    }
    struct block *b = live_block(p);
    size_t need = needed_size(size);
    if (!need)
        return NULL;
    size_t have = block_size(b);
    if (need > have) {
        /* Grow into a free successor when it is large enough. */
        struct block *after = next_block(b);
        check_header(after);
        if (is_used(after) || have + block_size(after) < need) {
            void *q = kmalloc(size);
            if (q) {
                memcpy(q, p, have - HEADER);
                kfree(p);
            }
            return q;
        }
        unlink_free(after);
        have += block_size(after);
        retire_header(after);
        set_header(b, have | USED, b->prev_size);
        set_prev_size(next_block(b), have);
    }
    split_tail(b, need);
    size_t used = heap.total - heap.free_bytes;
    if (used > heap.peak_used)
        heap.peak_used = used;
    return p;
}

void heap_get_stats(struct heap_stats *out)
{
    out->total = heap.total;
    out->free = heap.free_bytes;
    out->used = heap.total - heap.free_bytes;
    out->live_allocations = heap.live;
    out->peak_used = heap.peak_used;
    out->largest_free = 0;
    /* The largest block is in the highest non-empty list. */
    for (int i = BIN_COUNT - 1; i >= 0; i--) {
        if (!heap.bins[i])
            continue;
        for (struct block *b = heap.bins[i]; b; b = links_of(b)->next)
            if (block_size(b) > out->largest_free)
                out->largest_free = block_size(b);
        break;
    }
}

size_t heap_check(void)
{
    size_t free_blocks = 0, free_bytes = 0;
    for (int i = 0; i < heap.region_count; i++) {
        struct block *prev = NULL, *b = heap.regions[i].first, *fence = heap.regions[i].fence;
        for (; b < fence; prev = b, b = next_block(b)) {
            check_header(b);
            if ((prev ? block_size(prev) : 0) != b->prev_size || block_size(b) < MIN_BLOCK)
                heap_fatal("corrupted block header", b);
            if (!is_used(b)) {
                if (prev && !is_used(prev))
                    heap_fatal("adjacent free blocks not merged", b);
                free_blocks++;
                free_bytes += block_size(b);
            }
        }
        if (b != fence)
            heap_fatal("corrupted block header", prev);
        check_header(fence);
    }
    if (free_bytes != heap.free_bytes)
        heap_fatal("free lists disagree with the blocks", NULL);
    return free_blocks;
}
