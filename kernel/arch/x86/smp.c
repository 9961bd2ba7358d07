/* smp.c: bring-up of the application processors. Each AP listed in the ACPI
 * MADT gets INIT, then a start-up IPI (twice, as Intel's protocol says, the
 * second only if the first did not wake it) naming the page of the real-mode
 * trampoline (ap_boot.asm) copied below 1 MiB. The trampoline brings it to
 * ap_main on its own stack, which has an unmapped guard page below it; there
 * it loads the shared GDT, its own IDT copy and TSS pair, enables SSE/AVX as
 * on the boot CPU and its local APIC, says it is alive, and enters
 * parallel.c's worker loop. The APs start one at a time (they share the
 * trampoline's mailbox).
 *
 * Interrupts stay on the boot CPU: the 8259 PIC delivers them to it only
 * (virtual-wire mode through its LINT0), and the drivers, the console and the
 * shell then never run on two CPUs at once, so they need no locks. The APs
 * run nothing but engine work handed out by the boot CPU, and take only the
 * wake-up IPI (and the panic NMI). */
#include "arch/x86/smp.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"
#include "arch/x86/paging.h"
#include "arch/x86/parallel.h"
#include "arch/x86/stack.h"
#include "arch/x86/timer.h"
#include "arch/x86/tss.h"
#include "lib/string.h"

/* Free once the kernel runs: between the boot information (0x5000) and
 * stage 1 (0x7c00), in the area stage 1's stack used (boot/layout.inc). The
 * same address is in ap_boot.asm. */
#define AP_TRAMPOLINE_ADDR 0x7000u
#define AP_STACK_SIZE (64 * 1024)
#define INIT_DELAY_US 10000u
#define STARTUP_DELAY_US 200u
#define AP_START_TIMEOUT_US 500000u /* generous: under emulation an AP is a host thread to schedule */

struct ap_mailbox {
    uint32_t cr3, stack_top, entry, cpu;
};

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_mailbox[];

/* In .bss.stack, with the boot stack, so that the guard pages are in the
 * first 4 MiB (the part paging maps with 4 KiB pages). */
static char ap_stacks[MAX_CPUS - 1][4096 + AP_STACK_SIZE]
    __attribute__((aligned(4096), section(".bss.stack")));

static struct smp_info info = { .online = 1 };
static uint8_t online_apic_id[MAX_CPUS];
static volatile uint32_t ap_alive; /* set by the AP being started */
static volatile uint32_t ap_features_ok;

static void delay_us(uint32_t us)
{
    uint64_t end = rdtsc() + tsc_hz() / 1000000u * us;
    while (rdtsc() < end)
        __asm__ volatile("pause");
}

static __attribute__((noreturn)) void ap_main(uint32_t cpu)
{
    gdt_load();
    idt_load_copy(cpu);
    tss_init(cpu, ap_stacks[cpu - 1]);
    int ok = cpu_init_ap() == 0;
    apic_enable_local();
    ap_features_ok = ok;
    __atomic_store_n(&ap_alive, 1, __ATOMIC_SEQ_CST);
    if (!ok)
        for (;;)
            __asm__ volatile("cli; hlt");
    parallel_worker_loop(cpu);
}

/* Starts one AP as online number `cpu`; its final state. */
static enum smp_cpu_state start_ap(uint8_t apic, uint32_t cpu, uint32_t *start_us)
{
    char *stack = ap_stacks[cpu - 1];
    paging_unmap_guard(stack);
    struct ap_mailbox mb = {
        .cr3 = read_cr3(),
        .stack_top = (uint32_t)(stack + sizeof(ap_stacks[0])),
        .entry = (uint32_t)ap_main,
        .cpu = cpu,
    };
    memcpy((char *)AP_TRAMPOLINE_ADDR + (ap_mailbox - ap_trampoline_start), &mb, sizeof mb);
    ap_alive = 0;
    uint64_t t0 = rdtsc(), per_us = tsc_hz() / 1000000u;
    if (apic_send_init(apic) != 0)
        return SMP_IPI_FAILED;
    delay_us(INIT_DELAY_US);
    for (int attempt = 0; attempt < 2 && !ap_alive; attempt++) {
        if (apic_send_startup(apic, AP_TRAMPOLINE_ADDR >> 12) != 0)
            return SMP_IPI_FAILED;
        delay_us(STARTUP_DELAY_US);
    }
    uint64_t deadline = t0 + per_us * AP_START_TIMEOUT_US;
    while (!__atomic_load_n(&ap_alive, __ATOMIC_SEQ_CST) && rdtsc() < deadline)
        __asm__ volatile("pause");
    *start_us = (uint32_t)((rdtsc() - t0) / per_us);
    if (!ap_alive) {
        apic_send_init(apic); /* back to waiting for a start-up IPI: it must not wake later */
        return SMP_NO_ANSWER;
    }
    if (!ap_features_ok) {
        apic_send_init(apic); /* its stack and tables go to the next AP */
        return SMP_MISMATCH;
    }
    return SMP_ONLINE;
}

static struct acpi_cpus cpus;

void smp_find_cpus(void)
{
    if (acpi_find_cpus(&cpus, &info.no_acpi) != 0)
        cpus.count = 0;
}

void smp_start_aps(void)
{
    if (cpus.count == 0)
        return;
    apic_set_base(cpus.lapic_base);
    memcpy(info.table, cpus.table, sizeof info.table);
    info.found = cpus.count;
    info.skipped = cpus.skipped;
    uint8_t self = (uint8_t)apic_id();
    online_apic_id[0] = self;
    memcpy((void *)AP_TRAMPOLINE_ADDR, ap_trampoline_start, ap_trampoline_end - ap_trampoline_start);
    for (uint32_t i = 0; i < cpus.count; i++) {
        struct smp_cpu *c = &info.cpu[i];
        c->apic_id = cpus.apic_id[i];
        if (c->apic_id == self) {
            c->state = SMP_BOOT_CPU;
            c->index = 0;
            continue;
        }
        c->index = (uint8_t)info.online;
        c->state = (uint8_t)start_ap(c->apic_id, info.online, &c->start_us);
        if (c->state == SMP_ONLINE)
            online_apic_id[info.online++] = c->apic_id;
    }
}

const struct smp_info *smp_get_info(void)
{
    return &info;
}

uint32_t smp_online(void)
{
    return info.online;
}

uint32_t smp_this_cpu(void)
{
    if (info.online == 1)
        return 0;
    uint32_t id = apic_id();
    for (uint32_t i = 0; i < info.online; i++)
        if (online_apic_id[i] == id)
            return i;
    return 0;
}

uint8_t smp_apic_id(uint32_t index)
{
    return online_apic_id[index];
}
