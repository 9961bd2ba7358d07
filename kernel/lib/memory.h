/* memory.h: the kernel heap. It manages every usable RAM region handed to
 * heap_init (normally all E820 RAM above the kernel). kmalloc returns 16-byte
 * aligned memory or NULL when out of memory. Misuse (double free, a pointer the
 * heap never returned, an overwritten block header) is reported through
 * heap_fatal, which does not return. */
#ifndef LIB_MEMORY_H
#define LIB_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct heap_region {
    uintptr_t start;
    size_t size;
};

struct heap_stats {
    size_t total;            /* bytes under management (usable, excluding headers) */
    size_t used;             /* bytes in live blocks, headers included */
    size_t free;             /* bytes in free blocks */
    size_t largest_free;     /* largest single free block */
    size_t live_allocations; /* blocks handed out and not yet freed */
    size_t peak_used;        /* highest value 'used' has reached */
};

void heap_init(const struct heap_region *regions, int count);
void *kmalloc(size_t size);
void kfree(void *ptr);
void *kcalloc(size_t n, size_t size);               /* NULL if n * size overflows */
void *krealloc(void *ptr, size_t size);             /* grows in place when it can */
void *kaligned_alloc(size_t align, size_t size);    /* align: power of two <= 4096 */
/* For memory that lives for the whole boot (the engine's shared buffers, the
 * filesystem's cluster buffer): taken from the top end of the heap, so that
 * the large free block below stays in one piece for the next model. Freed
 * with kfree like any block. */
void *kaligned_alloc_lasting(size_t align, size_t size);
void heap_get_stats(struct heap_stats *out);
/* Walks every block and checks headers, links and merging (heap_fatal on a
 * fault); returns the number of free blocks. For tests and `heaptest`. */
size_t heap_check(void);

/* Provided by the environment: the kernel panics, host tests record. */
void heap_fatal(const char *what, const void *addr) __attribute__((noreturn));

#endif
