/* cmd_system.c: the basic shell commands: help, clear, echo, mem, cpu,
 * uptime, reboot, poweroff. */
#include <stdint.h>
#include "shell/command.h"
#include "shell/bench.h"
#include "boot_info.h"
#include "arch/x86/cpu.h"
#include "arch/x86/parallel.h"
#include "arch/x86/smp.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "lib/memory.h"
#include "lib/string.h"

extern char __kernel_start[], __kernel_end[];

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (const struct shell_command *c = __shell_commands_start; c < __shell_commands_end; c++)
        kprintf("  %-10s %s\n", c->name, c->help);
    return 0;
}
SHELL_COMMAND(help, "list the commands", cmd_help);

static int cmd_clear(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    console_clear();
    return 0;
}
SHELL_COMMAND(clear, "clear the screen", cmd_clear);

static int cmd_echo(int argc, char **argv)
{
    kprintf("%s\n", argc > 1 ? argv[1] : "");
    return 0;
}
SHELL_TEXT_COMMAND(echo, 0, "echo TEXT: print the text as typed", cmd_echo);

static const char *e820_type_name(uint32_t type)
{
    switch (type) {
    case E820_USABLE: return "usable";
    case E820_RESERVED: return "reserved";
    case E820_ACPI_RECLAIM: return "ACPI data";
    case E820_ACPI_NVS: return "ACPI NVS";
    case E820_BAD: return "bad";
    default: return "unknown";
    }
}

static int cmd_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t usable = 0;
    kprintf("BIOS memory map (E820):\n");
    for (uint32_t i = 0; i < boot_info.e820_count; i++) {
        const struct e820_entry *e = &boot_info.e820[i];
        kprintf("  0x%09llx - 0x%09llx  %8llu KiB  %s\n", (unsigned long long)e->base,
                (unsigned long long)(e->base + e->length - 1),
                (unsigned long long)(e->length / 1024), e820_type_name(e->type));
        if (e->type == E820_USABLE)
            usable += e->length;
    }
    struct heap_stats hs;
    heap_get_stats(&hs);
    kprintf("usable RAM: %llu MiB\n", (unsigned long long)(usable >> 20));
    kprintf("kernel:     0x%08x - 0x%08x (%u KiB)\n", (unsigned)(uintptr_t)__kernel_start,
            (unsigned)(uintptr_t)__kernel_end,
            (unsigned)((__kernel_end - __kernel_start) / 1024));
    kprintf("heap:       %u KiB total, %u KiB used, %u KiB free\n", (unsigned)(hs.total / 1024),
            (unsigned)(hs.used / 1024), (unsigned)(hs.free / 1024));
    kprintf("            largest free block %u KiB, %u live allocations, peak use %u KiB\n",
            (unsigned)(hs.largest_free / 1024), (unsigned)hs.live_allocations,
            (unsigned)(hs.peak_used / 1024));
    return 0;
}
SHELL_COMMAND(mem, "show the memory map and heap usage", cmd_mem);

/* Prints words after a label, breaking lines before 80 columns and indenting
 * continuation lines under the first word. */
static void print_wrapped(const char *label, char *words)
{
    enum { WIDTH = 79 };
    int indent = (int)strlen(label), col = indent;
    kprintf("%s", label);
    for (char *w = words; *w;) {
        char *end = strchr(w, ' ');
        int len = end ? (int)(end - w) : (int)strlen(w);
        if (col > indent && col + 1 + len > WIDTH) {
            kprintf("\n%*s", indent, "");
            col = indent;
        }
        kprintf("%s%.*s", col > indent ? " " : "", len, w);
        col += (col > indent ? 1 : 0) + len;
        w += len;
        while (*w == ' ')
            w++;
    }
    kprintf("\n");
}

/* The processors ACPI lists, whether each started, and what each runs. */
static void print_processors(void)
{
    const struct smp_info *si = smp_get_info();
    const struct parallel_stats *ps = parallel_get_stats();
    kprintf("CPUs: %u online\n", (unsigned)si->online);
    if (si->no_acpi) {
        kprintf("  (%s: only the boot CPU is used)\n", si->no_acpi);
        return;
    }
    kprintf("  %u listed in the ACPI MADT (via the %s)\n", (unsigned)si->found, si->table);
    if (si->skipped)
        kprintf("  %u more not usable (disabled, x2APIC-only or over %u)\n", (unsigned)si->skipped,
                (unsigned)MAX_CPUS);
    for (uint32_t i = 0; i < si->found; i++) {
        const struct smp_cpu *c = &si->cpu[i];
        if (c->state == SMP_BOOT_CPU || c->state == SMP_ONLINE)
            kprintf("  cpu %-2u APIC id %-3u", (unsigned)c->index, (unsigned)c->apic_id);
        else
            kprintf("  --     APIC id %-3u", (unsigned)c->apic_id);
        switch (c->state) {
        case SMP_BOOT_CPU:
            kprintf("boot CPU: shell, interrupts, worker 0 (%llu ranges)\n",
                    (unsigned long long)ps->ranges[0]);
            break;
        case SMP_ONLINE:
            kprintf("started in %u us: worker %u (%llu ranges)\n", (unsigned)c->start_us,
                    (unsigned)c->index, (unsigned long long)ps->ranges[c->index]);
            break;
        case SMP_NO_ANSWER:
            kprintf("did not start within %u ms: left out\n", (unsigned)(c->start_us / 1000));
            break;
        case SMP_IPI_FAILED:
            kprintf("its local APIC refused the start-up IPIs: left out\n");
            break;
        default:
            kprintf("started without the boot CPU's features: left out\n");
            break;
        }
    }
}

static int cmd_cpu(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char features[512];
    cpu_feature_string(features, sizeof(features));
    uint64_t hz = tsc_hz();
    kprintf("vendor:   %s\n", cpu_info.vendor);
    kprintf("model:    %s\n", cpu_info.brand);
    kprintf("family %u, model %u, stepping %u\n", (unsigned)cpu_info.family,
            (unsigned)cpu_info.model, (unsigned)cpu_info.stepping);
    print_wrapped("features: ", features);
    kprintf("AVX:      %s\n", cpu_info.avx_enabled ? "enabled" : "not available");
    kprintf("TSC:      %.3f MHz\n", (double)hz / 1e6);
    bench_print_kernel_choice();
    print_processors();
    return 0;
}
SHELL_COMMAND(cpu, "show the processor, its features and the CPUs online", cmd_cpu);

static int cmd_uptime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t ms = uptime_ms();
    kprintf("up %.3f s (%llu timer ticks)\n", (double)ms / 1e3, (unsigned long long)timer_ticks());
    return 0;
}
SHELL_COMMAND(uptime, "time since boot", cmd_uptime);

static int cmd_reboot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kprintf("rebooting...\n");
    reboot();
}
SHELL_COMMAND(reboot, "restart the machine", cmd_reboot);

static int cmd_poweroff(int argc, char **argv)
{
    long code = 0;
    if (argc > 2) {
        kprintf("error: usage: poweroff [exit-code 0-127]\n");
        return 1;
    }
    if (argc == 2) {
        char *end;
        code = strtol(argv[1], &end, 10);
        if (*end || end == argv[1] || code < 0 || code > 127) {
            kprintf("error: poweroff: exit code must be a number from 0 to 127\n");
            return 1;
        }
    }
    kprintf("powering off\n");
    poweroff((uint8_t)code);
    kprintf("error: poweroff failed (no debug-exit device and no ACPI S5)\n");
    return 1;
}
SHELL_COMMAND(poweroff, "turn the machine off [exit code for QEMU]", cmd_poweroff);
