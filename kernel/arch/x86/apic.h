/* apic.h: the local APIC of each processor (xAPIC, memory-mapped): its ID,
 * end of interrupt, and inter-processor interrupts (INIT, start-up, the
 * wake-up vector, NMI). */
#ifndef ARCH_X86_APIC_H
#define ARCH_X86_APIC_H
#include <stdint.h>

/* Vectors above the PIC's 32-47; isr.asm has their stubs. */
#define APIC_WAKE_VECTOR 0xf0     /* an AP waiting for work is halted until this */
#define APIC_SPURIOUS_VECTOR 0xff

/* Physical base of the local APIC registers (from the MADT). Until it is set,
 * apic_present() is 0 and apic_id() returns 0. */
void apic_set_base(uint32_t base);
int apic_present(void);
uint32_t apic_id(void);
/* Software-enables this processor's local APIC (spurious vector, TPR 0), for
 * an AP that must receive the wake-up IPI. */
void apic_enable_local(void);
/* Sends an IPI; returns 0 once the local APIC accepted it, -1 after 1 ms
 * without. */
int apic_send_init(uint8_t apic_id);
int apic_send_startup(uint8_t apic_id, uint32_t trampoline_page);
int apic_send_wake(uint8_t apic_id);
/* NMI to every processor but this one (the panic stops the others). */
void apic_send_nmi_others(void);

/* Read by isr.asm's wake-up stub to signal end of interrupt. */
extern volatile uint32_t *apic_eoi_register;

#endif
