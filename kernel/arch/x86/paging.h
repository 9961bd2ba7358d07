/* paging.h: identity map of the physical address space, page 0 absent. */
#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H
#include <stdint.h>

/* Maps all 4 GiB 1:1 (addresses at or above ram_top uncached, as they are
 * device memory) and turns paging on. Page 0 stays unmapped so NULL
 * dereferences fault. */
void paging_init(uint64_t ram_top);

/* Unmaps one page of the first 4 MiB (a stack guard page) on this CPU; a CPU
 * started later loads the table afresh. */
void paging_unmap_guard(const void *page);

#endif
