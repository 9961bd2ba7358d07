/* panic.c: the panic screen. A CPU exception or a kernel panic() on any CPU
 * clears the VGA screen to white on red and prints which CPU it was, what
 * happened, the registers and (for a page fault) CR2, on VGA and on the
 * serial console, then halts for good. The other CPUs are stopped first with
 * an NMI (which lands here too and halts), so nothing else writes to the
 * screen. */
#include <stdarg.h>
#include <stdint.h>
#include "arch/x86/panic.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"
#include "arch/x86/apic.h"
#include "arch/x86/smp.h"
#include "drivers/console.h"
#include "drivers/vga.h"
#include "lib/memory.h"
#include "lib/printf.h"

static const char *const exception_names[32] = {
    "Divide Error (#DE)", "Debug (#DB)", "Non-Maskable Interrupt (NMI)", "Breakpoint (#BP)",
    "Overflow (#OF)", "Bound Range Exceeded (#BR)", "Invalid Opcode (#UD)",
    "Device Not Available (#NM)", "Double Fault (#DF)", "Coprocessor Segment Overrun",
    "Invalid TSS (#TS)", "Segment Not Present (#NP)", "Stack-Segment Fault (#SS)",
    "General Protection Fault (#GP)", "Page Fault (#PF)", "Reserved (15)",
    "x87 Floating-Point Error (#MF)", "Alignment Check (#AC)", "Machine Check (#MC)",
    "SIMD Floating-Point Exception (#XM)", "Virtualization Exception (#VE)",
    "Control Protection Exception (#CP)", "Reserved (22)", "Reserved (23)", "Reserved (24)",
    "Reserved (25)", "Reserved (26)", "Reserved (27)", "Hypervisor Injection (#HV)",
    "VMM Communication (#VC)", "Security Exception (#SX)", "Reserved (31)",
};

static int panicking;

static __attribute__((noreturn)) void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Enter panic mode once: the first CPU to get here reports, any other (or a
 * fault while panicking) just stops. */
static void panic_begin(void)
{
    cpu_cli();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        halt_forever();
    uint32_t online = smp_online();
    if (online > 1)
        apic_send_nmi_others();
    vga_set_color(VGA_WHITE, VGA_RED);
    vga_clear();
    kprintf("\n*** MyOS KERNEL PANIC ***\n\n");
    kprintf("CPU %u (APIC id %u) of %u online\n", (unsigned)smp_this_cpu(), (unsigned)apic_id(),
            (unsigned)online);
}

static __attribute__((noreturn)) void panic_end(void)
{
    kprintf("\nSystem halted.\n");
    halt_forever();
}

void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    panic_begin();
    kprintf("%s\n", msg);
    panic_end();
}

void heap_fatal(const char *what, const void *addr)
{
    panic("heap: %s (block %p)", what, addr);
}

void panic_frame(const struct int_frame *f, uint32_t esp, const char *note)
{
    panic_begin();
    kprintf("Exception %u: %s\n", (unsigned)f->vector, exception_names[f->vector & 31]);
    if (note)
        kprintf("%s\n", note);
    kprintf("Error code: 0x%08x\n", (unsigned)f->error_code);
    if (f->vector == 14) {
        kprintf("CR2: 0x%08x (%s, %s, %s)\n", (unsigned)read_cr2(),
                f->error_code & 1 ? "protection violation" : "page not present",
                f->error_code & 2 ? "write" : "read",
                f->error_code & 16 ? "instruction fetch" : "data");
    }
    kprintf("EIP: 0x%08x  CS: 0x%04x  EFLAGS: 0x%08x\n", (unsigned)f->eip,
            (unsigned)f->cs & 0xffff, (unsigned)f->eflags);
    kprintf("EAX: 0x%08x  EBX: 0x%08x  ECX: 0x%08x  EDX: 0x%08x\n", (unsigned)f->eax,
            (unsigned)f->ebx, (unsigned)f->ecx, (unsigned)f->edx);
    kprintf("ESI: 0x%08x  EDI: 0x%08x  EBP: 0x%08x  ESP: 0x%08x\n", (unsigned)f->esi,
            (unsigned)f->edi, (unsigned)f->ebp, (unsigned)esp);
    kprintf("DS: 0x%04x  ES: 0x%04x  FS: 0x%04x  GS: 0x%04x\n", (unsigned)f->ds & 0xffff,
            (unsigned)f->es & 0xffff, (unsigned)f->fs & 0xffff, (unsigned)f->gs & 0xffff);
    kprintf("CR0: 0x%08x  CR3: 0x%08x  CR4: 0x%08x\n", (unsigned)read_cr0(),
            (unsigned)read_cr3(), (unsigned)read_cr4());
    panic_end();
}

void exception_dispatch(struct int_frame *f)
{
    /* Ring 0 to ring 0: the CPU pushed no ESP, the old stack top is right
     * above the frame. */
    panic_frame(f, (uint32_t)&f->eflags + 4, NULL);
}
