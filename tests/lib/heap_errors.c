/* heap_errors.c: one misuse of the kernel heap per run, to check it is caught
 * and reported with the right address. `lib_heap_errors CASE` prints
 * "expect WHAT LO HI" (the report must name an address in [LO, HI]) and then
 * commits the misuse; heap_fatal prints "heap_fatal: WHAT at ADDR" and exits 3.
 * Reaching the end of a misuse case exits 1 (nothing was detected).
 * CASE "oom" instead checks out-of-memory behaviour and exits 0 when right. */
#include "lib/memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Alignas(4096) unsigned char arena[16u << 20];

void heap_fatal(const char *what, const void *addr)
{
    printf("heap_fatal: %s at %p\n", what, addr);
    exit(3);
}

static void expect(const char *what, const void *lo, const void *hi)
{
    printf("expect %s %p %p\n", what, lo, hi);
    fflush(stdout);
}

static int oom(void)
{
    static void *blocks[64];
    int n = 0, failures = 0;
    while (n < 64 && (blocks[n] = kmalloc(1u << 20)) != NULL)
        n++;
    struct heap_stats st;
    heap_get_stats(&st);
    if (n == 64 || st.largest_free >= (1u << 20)) {
        printf("FAIL: %d blocks of 1 MiB fit in 16 MiB, largest free %zu\n", n, st.largest_free);
        failures++;
    }
    const size_t huge = (size_t)-1;
    if (kmalloc(huge) || kmalloc(huge / 2) || kcalloc(huge / 8, 16) || kcalloc(65536, 65537) ||
        kaligned_alloc(3, 16) || kaligned_alloc(8192, 16) || kaligned_alloc(0, 16) ||
        krealloc(blocks[0], huge - 8)) {
        printf("FAIL: an impossible request did not return NULL\n");
        failures++;
    }
    for (int i = 0; i < n; i++)
        kfree(blocks[i]);
    size_t free_blocks = heap_check();
    heap_get_stats(&st);
    if (free_blocks != 1 || st.used != 0 || st.largest_free != st.total) {
        printf("FAIL: heap not whole again: %zu free blocks, used %zu\n", free_blocks, st.used);
        failures++;
    }
    printf("oom: %d blocks of 1 MiB before NULL, %d failures\n", n, failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s double_free|double_free_merged|realloc_freed|foreign_stack|"
                        "foreign_interior|header_overrun|free_list|oom\n", argv[0]);
        return 2;
    }
    const char *c = argv[1];
    struct heap_region region = { (uintptr_t)arena, sizeof arena };
    heap_init(&region, 1);
    unsigned char *a = kmalloc(100), *b = kmalloc(100), *d = kmalloc(100);

    if (!strcmp(c, "oom")) {
        kfree(a);
        kfree(b);
        kfree(d);
        return oom();
    } else if (!strcmp(c, "double_free")) {
        expect("double free", b, b);
        kfree(b);
        kfree(b);
    } else if (!strcmp(c, "double_free_merged")) {
        /* b merges into the free block a, so its header is gone. */
        expect("double free", b, b);
        kfree(a);
        kfree(b);
        kfree(b);
    } else if (!strcmp(c, "realloc_freed")) {
        expect("double free", b, b);
        kfree(b);
        krealloc(b, 200);
    } else if (!strcmp(c, "foreign_stack")) {
        int local;
        expect("free of a pointer the heap never returned", &local, &local);
        kfree(&local);
    } else if (!strcmp(c, "foreign_interior")) {
        expect("free of a pointer the heap never returned", b + 32, b + 32);
        kfree(b + 32);
    } else if (!strcmp(c, "header_overrun")) {
        /* Writing past the end of a runs over b's header, which sits below b. */
        expect("corrupted block header", a + 100, b - 1);
        memset(a, 0x41, (size_t)(b - a));
        kfree(b);
    } else if (!strcmp(c, "free_list")) {
        /* A write after free clobbers the free-list links kept in the block. */
        kfree(b);
        expect("corrupted free list", b - 64, b);
        memset(b, 0x42, 16);
        kmalloc(100);
    } else {
        fprintf(stderr, "unknown case %s\n", c);
        return 2;
    }
    printf("not detected\n");
    return 1;
}
