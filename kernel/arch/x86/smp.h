/* smp.h: the processors of the machine. smp_find_cpus lists them from ACPI,
 * smp_start_aps starts every application processor (AP); the started ones are "online" and
 * numbered 0 (the boot CPU) to smp_online() - 1, the numbers parallel.c
 * uses for its workers. */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H
#include <stdint.h>
#include "arch/x86/acpi.h"

enum smp_cpu_state {
    SMP_BOOT_CPU,   /* the processor the BIOS started: runs everything but worker jobs */
    SMP_ONLINE,     /* an AP that answered: runs parallel.c's worker loop */
    SMP_NO_ANSWER,  /* did not come up within its timeout: left out (sent INIT again) */
    SMP_IPI_FAILED, /* its local APIC never accepted the INIT or start-up IPI */
    SMP_MISMATCH,   /* came up without the boot CPU's SSE/AVX features: left out */
};

struct smp_cpu {
    uint8_t apic_id;
    uint8_t state;       /* enum smp_cpu_state */
    uint8_t index;       /* online number (SMP_BOOT_CPU, SMP_ONLINE) */
    uint32_t start_us;   /* INIT to the AP's first C code */
};

struct smp_info {
    uint32_t found;                 /* processors listed by ACPI (0: no list) */
    uint32_t online;                /* 1 + the APs that started */
    uint32_t skipped;               /* listed, not usable (see acpi.h) */
    const char *no_acpi;            /* why there is no list, or NULL */
    char table[5];                  /* RSDT or XSDT */
    struct smp_cpu cpu[MAX_CPUS];   /* in ACPI order; [0..found) */
};

/* Before paging_init: the ACPI search reads the BIOS data area in page 0,
 * which paging leaves unmapped. */
void smp_find_cpus(void);
/* After paging, the TSS and the timer: starts the APs found. */
void smp_start_aps(void);
const struct smp_info *smp_get_info(void);
uint32_t smp_online(void);
/* This processor's online number (0 on the boot CPU, and before smp_start_aps). */
uint32_t smp_this_cpu(void);
/* The local APIC ID of online processor `index`. */
uint8_t smp_apic_id(uint32_t index);

#endif
