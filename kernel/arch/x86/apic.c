/* apic.c: local APIC registers. The base is the MADT's (normally
 * 0xfee00000, above RAM, so paging maps it uncached). The boot CPU's local
 * APIC is left as the BIOS set it (LINT0 as ExtINT carries the 8259 PIC's
 * interrupts): it only sends IPIs, which works in that state. */
#include "arch/x86/apic.h"
#include "arch/x86/timer.h"

#define REG_ID 0x020
#define REG_TPR 0x080
#define REG_EOI 0x0b0
#define REG_SVR 0x0f0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define SVR_ENABLE (1u << 8)
#define ICR_PENDING (1u << 12)
#define ICR_FIXED 0x000u
#define ICR_NMI 0x400u
#define ICR_INIT 0x500u
#define ICR_STARTUP 0x600u
#define ICR_ASSERT (1u << 14)
#define ICR_ALL_BUT_SELF (3u << 18)
#define SEND_TIMEOUT_NS 1000000ull

static volatile uint32_t *apic_regs;
volatile uint32_t *apic_eoi_register;

static inline uint32_t reg_read(uint32_t off)
{
    return apic_regs[off / 4];
}

static inline void reg_write(uint32_t off, uint32_t v)
{
    apic_regs[off / 4] = v;
}

void apic_set_base(uint32_t base)
{
    apic_regs = (volatile uint32_t *)base;
    apic_eoi_register = apic_regs + REG_EOI / 4;
}

int apic_present(void)
{
    return apic_regs != 0;
}

uint32_t apic_id(void)
{
    return apic_regs ? reg_read(REG_ID) >> 24 : 0;
}

void apic_enable_local(void)
{
    reg_write(REG_TPR, 0);
    reg_write(REG_SVR, SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

static int wait_accepted(void)
{
    uint64_t end = timer_ns() + SEND_TIMEOUT_NS;
    while (reg_read(REG_ICR_LO) & ICR_PENDING) {
        if (timer_ns() > end)
            return -1;
        __asm__ volatile("pause");
    }
    return 0;
}

/* Every CPU sees its own local APIC at the same address, so CPUs sending at
 * once do not disturb each other; on one CPU, IPIs are sent with interrupts
 * enabled only outside interrupt handlers (which send none), so the two ICR
 * writes are never split by another send. */
static int send(uint8_t dest, uint32_t command)
{
    reg_write(REG_ICR_HI, (uint32_t)dest << 24);
    reg_write(REG_ICR_LO, command);
    return wait_accepted();
}

int apic_send_init(uint8_t dest)
{
    return send(dest, ICR_INIT | ICR_ASSERT);
}

int apic_send_startup(uint8_t dest, uint32_t trampoline_page)
{
    return send(dest, ICR_STARTUP | ICR_ASSERT | (trampoline_page & 0xff));
}

int apic_send_wake(uint8_t dest)
{
    return send(dest, ICR_FIXED | ICR_ASSERT | APIC_WAKE_VECTOR);
}

void apic_send_nmi_others(void)
{
    if (!apic_regs)
        return;
    /* With a shorthand the destination (high word) is ignored. */
    reg_write(REG_ICR_LO, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
    wait_accepted();
}
