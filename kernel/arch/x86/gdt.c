/* gdt.c: replaces stage 2's temporary GDT with the kernel's own (flat 4 GiB
 * ring-0 code and data) and reloads every segment register. */
#include <stdint.h>
#include "arch/x86/gdt.h"

static const uint64_t gdt[] __attribute__((aligned(8))) = {
    0,
    0x00cf9a000000ffffull, /* GDT_KERNEL_CODE: base 0, limit 4 GiB, 32-bit, exec/read */
    0x00cf92000000ffffull, /* GDT_KERNEL_DATA: base 0, limit 4 GiB, read/write */
};

struct gdt_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

void gdt_init(void)
{
    static struct gdt_pointer ptr;
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
