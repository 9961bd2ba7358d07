/* paging.c: one page directory of 4 MiB pages covering the whole 32-bit
 * address space, except the first 4 MiB, which use a page table so that page 0
 * and the stack guard pages (the boot CPU's, and each AP's) can be left out.
 * All CPUs share it. */
#include "arch/x86/paging.h"
#include "arch/x86/io.h"
#include "arch/x86/panic.h"
#include "arch/x86/stack.h"

#define PG_PRESENT 0x001u
#define PG_WRITE 0x002u
#define PG_PWT 0x008u
#define PG_PCD 0x010u
#define PG_LARGE 0x080u
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t first_table[1024] __attribute__((aligned(4096)));

void paging_init(uint64_t ram_top)
{
    uint32_t guard = (uint32_t)boot_stack_guard >> 12;
    if (guard >= 1024)
        panic("paging: the stack guard page is above 4 MiB (kernel too large)");
    for (uint32_t i = 0; i < 1024; i++)
        first_table[i] = i == 0 || i == guard ? 0 : (i << 12) | PG_PRESENT | PG_WRITE;
    page_directory[0] = (uint32_t)first_table | PG_PRESENT | PG_WRITE;
    for (uint32_t i = 1; i < 1024; i++) {
        uint64_t base = (uint64_t)i << 22;
        uint32_t flags = PG_PRESENT | PG_WRITE | PG_LARGE;
        if (base >= ram_top)
            flags |= PG_PCD | PG_PWT;
        page_directory[i] = (uint32_t)base | flags;
    }
    write_cr4(read_cr4() | CR4_PSE);
    write_cr3((uint32_t)page_directory);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

void paging_unmap_guard(const void *page)
{
    uint32_t i = (uint32_t)page >> 12;
    if (i >= 1024 || ((uint32_t)page & 4095))
        panic("paging: guard page %p is not a page of the first 4 MiB", page);
    first_table[i] = 0;
    __asm__ volatile("invlpg (%0)" : : "r"(page) : "memory");
}
