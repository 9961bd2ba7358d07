/* acpi.h: the processors the firmware lists in the ACPI MADT (found through
 * RSDP -> RSDT/XSDT). The MP table is not used: since QEMU 6.2, `-smp N` is
 * one socket of N cores and SeaBIOS's MP table lists only the first of them. */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H
#include <stdint.h>

/* The most processors the OS uses (per-CPU tables are sized by it). */
#define MAX_CPUS 16

struct acpi_cpus {
    uint32_t lapic_base;              /* physical address of the local APICs */
    uint32_t count;                   /* usable processors listed (at most MAX_CPUS) */
    uint32_t skipped;                 /* listed but not usable: disabled, x2APIC-only, too many */
    uint8_t apic_id[MAX_CPUS];   /* MADT order: the firmware lists the boot CPU first */
    char table[5];                    /* "RSDT" or "XSDT": where the MADT was found */
};

/* Fills *out from the MADT; 0, or -1 with *why set when there is no usable
 * ACPI processor list (then the OS runs on the boot CPU alone). */
int acpi_find_cpus(struct acpi_cpus *out, const char **why);

#endif
