/* main.c: the boot sequence: CPU tables, console, memory, timers, the other
 * processors, storage, network, then the shell. Entered from arch/x86/entry.asm
 * with the boot-info pointer from stage 2. */
#include <stdint.h>
#include "boot_info.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"
#include "arch/x86/paging.h"
#include "arch/x86/panic.h"
#include "arch/x86/pic.h"
#include "arch/x86/smp.h"
#include "arch/x86/timer.h"
#include "arch/x86/tss.h"
#include "arch/x86/stack.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "ai/settings.h"
#include "fs/storage.h"
#include "lib/memory.h"
#include "net/net_kernel.h"
#include "lib/string.h"
#include "shell/shell.h"

#define FOUR_GIB 0x100000000ull

struct boot_info boot_info;
extern char __kernel_end[];

/* Highest address of usable RAM below 4 GiB. */
static uint64_t ram_top(void)
{
    uint64_t top = 0;
    for (uint32_t i = 0; i < boot_info.e820_count; i++) {
        const struct e820_entry *e = &boot_info.e820[i];
        uint64_t end = e->base + e->length;
        if (e->type == E820_USABLE && end > top)
            top = end < FOUR_GIB ? end : FOUR_GIB;
    }
    return top;
}

/* Every usable E820 region (clipped to 4 GiB and to page boundaries) above
 * the end of the kernel image goes to the heap. */
static void heap_setup(void)
{
    static struct heap_region regions[E820_MAX];
    int n = 0;
    uint64_t floor = (uintptr_t)__kernel_end;
    for (uint32_t i = 0; i < boot_info.e820_count; i++) {
        const struct e820_entry *e = &boot_info.e820[i];
        if (e->type != E820_USABLE)
            continue;
        uint64_t start = e->base > floor ? e->base : floor;
        uint64_t end = e->base + e->length;
        if (end > FOUR_GIB)
            end = FOUR_GIB;
        start = (start + 4095) & ~4095ull;
        end &= ~4095ull;
        if (end <= start)
            continue;
        regions[n].start = (uintptr_t)start;
        regions[n].size = (size_t)(end - start);
        n++;
    }
    if (n == 0)
        panic("no usable memory above the kernel (E820 lists %u regions)",
              (unsigned)boot_info.e820_count);
    heap_init(regions, n);
}

void kmain(uint32_t magic, const struct boot_info *info)
{
    gdt_load();
    idt_init();
    pic_init();
    console_init();
    if (magic != BOOT_INFO_MAGIC || info->magic != BOOT_INFO_MAGIC)
        panic("bad boot information from the loader (magic 0x%08x)", (unsigned)magic);
    memcpy(&boot_info, info, sizeof(boot_info));
    if (boot_info.e820_count > E820_MAX)
        boot_info.e820_count = E820_MAX;

    cpu_init();
    power_init();
    smp_find_cpus();
    paging_init(ram_top());
    tss_init(0, boot_stack_guard);
    heap_setup();
    timer_init();
    cpu_sti();
    smp_start_aps();

    struct heap_stats hs;
    heap_get_stats(&hs);
    kprintf("MyOS kernel ready: %u CPU%s, %s, %u MiB heap, TSC %u MHz, boot drive 0x%02x, up %u ms\n",
            (unsigned)smp_online(), smp_online() > 1 ? "s" : "",
            cpu_info.avx_enabled ? "AVX on" : "SSE2", (unsigned)(hs.total >> 20),
            (unsigned)(tsc_hz() / 1000000), (unsigned)boot_info.boot_drive,
            (unsigned)uptime_ms());
    storage_init();
    ai_settings();     /* read the saved settings now: a damaged file is reported at boot */
    net_kernel_init();
    kprintf("Type 'help' for the list of commands.\n");
    shell_run();
}
