/* gdt.c: the kernel's GDT, which replaces stage 2's temporary one (and an
 * AP's trampoline GDT): flat 4 GiB ring-0 code and data, plus two TSS slots
 * per CPU filled by tss.c. */
#include <stdint.h>
#include "arch/x86/gdt.h"

static uint64_t gdt[3 + 2 * MAX_CPUS] __attribute__((aligned(8))) = {
    0,
    0x00cf9a000000ffffull, /* GDT_KERNEL_CODE: base 0, limit 4 GiB, 32-bit, exec/read */
    0x00cf92000000ffffull, /* GDT_KERNEL_DATA: base 0, limit 4 GiB, read/write */
    /* then GDT_CPU_TSS(cpu), GDT_CPU_DOUBLE_FAULT_TSS(cpu) for every CPU */
};

struct gdt_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

void gdt_load(void)
{
    static struct gdt_pointer ptr; /* the same for every CPU */
    ptr.limit = sizeof(gdt) - 1;
    ptr.base = (uint32_t)gdt;
    __asm__ volatile(
        "lgdt %0\n\t"
        "ljmp %1, $1f\n"
        "1:\n\t"
        "mov %2, %%ax\n\t"
        "mov %%ax, %%ds\n\t"
        "mov %%ax, %%es\n\t"
        "mov %%ax, %%fs\n\t"
        "mov %%ax, %%gs\n\t"
        "mov %%ax, %%ss\n\t"
        : : "m"(ptr), "i"(GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA) : "eax", "memory");
}

void gdt_set_tss(uint16_t selector, const void *base, uint32_t limit)
{
    uint32_t b = (uint32_t)base;
    gdt[selector / 8] = (limit & 0xffffull) | (uint64_t)(b & 0xffffff) << 16
                        | 0x89ull << 40 /* present, ring 0, 32-bit available TSS */
                        | (uint64_t)(limit >> 16 & 0xf) << 48 | (uint64_t)(b >> 24) << 56;
}
