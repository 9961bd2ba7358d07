/* cpu.h: what CPUID says about the processor, and the FPU/SSE/AVX setup. */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H
#include <stdint.h>

struct cpu_info {
    char vendor[13];
    char brand[49];
    uint32_t family, model, stepping;
    uint32_t leaf1_ecx, leaf1_edx; /* CPUID.1 feature words */
    uint32_t leaf7_ebx;            /* CPUID.7.0 extended features */
    int avx_enabled;               /* OSXSAVE set and XCR0 = x87|SSE|AVX */
};

extern struct cpu_info cpu_info;

/* Reads CPUID, enables AVX when present, picks the interrupt-time FPU save
 * method (xsave or fxsave). x87/SSE were switched on by entry.asm already. */
void cpu_init(void);

/* On an AP, after the trampoline turned on x87/SSE: the same CR4/XCR0 as
 * the boot CPU. -1 when this CPU's CPUID features differ from the boot
 * CPU's (it must not run the kernels chosen there). */
int cpu_init_ap(void);

/* Writes the names of the supported features, space separated. */
void cpu_feature_string(char *buf, int size);

#endif
