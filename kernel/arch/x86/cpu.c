/* cpu.c: CPUID feature detection and AVX enabling. Also owns the two variables
 * isr.asm uses to save the FPU/SSE/AVX state around IRQ handlers. */
#include "arch/x86/cpu.h"
#include "arch/x86/io.h"
#include "lib/printf.h"
#include "lib/string.h"

struct cpu_info cpu_info;

/* Read by isr.asm: xsave (with AVX) or fxsave, and the bytes to reserve. */
uint8_t fpu_use_xsave;
uint32_t fpu_area_size = 512;

#define CR4_OSXSAVE (1u << 18)
#define XCR0_X87_SSE_AVX 7u

struct feature {
    const char *name;
    uint8_t word; /* 0: leaf 1 EDX, 1: leaf 1 ECX, 2: leaf 7 EBX */
    uint8_t bit;
};

static const struct feature features[] = {
    { "fpu", 0, 0 },    { "tsc", 0, 4 },    { "pse", 0, 3 },     { "pae", 0, 6 },
    { "apic", 0, 9 },   { "cmov", 0, 15 },  { "mmx", 0, 23 },    { "fxsr", 0, 24 },
    { "sse", 0, 25 },   { "sse2", 0, 26 },  { "htt", 0, 28 },    { "sse3", 1, 0 },
    { "pclmul", 1, 1 }, { "ssse3", 1, 9 },  { "fma", 1, 12 },    { "cx16", 1, 13 },
    { "sse4.1", 1, 19 }, { "sse4.2", 1, 20 }, { "movbe", 1, 22 }, { "popcnt", 1, 23 },
    { "aes", 1, 25 },   { "xsave", 1, 26 }, { "osxsave", 1, 27 }, { "avx", 1, 28 },
    { "f16c", 1, 29 },  { "rdrand", 1, 30 }, { "hypervisor", 1, 31 }, { "bmi1", 2, 3 },
    { "avx2", 2, 5 },   { "bmi2", 2, 8 },   { "avx512f", 2, 16 }, { "sha", 2, 29 },
};

static int has_feature(const struct feature *f)
{
    uint32_t words[3] = { cpu_info.leaf1_edx, cpu_info.leaf1_ecx, cpu_info.leaf7_ebx };
    return (words[f->word] >> f->bit) & 1;
}

static void set_osxsave_xcr0(void)
{
    write_cr4(read_cr4() | CR4_OSXSAVE);
    __asm__ volatile("xsetbv" : : "c"(0), "a"(XCR0_X87_SSE_AVX), "d"(0));
}

/* AVX needs CR4.OSXSAVE and the x87|SSE|AVX bits in XCR0; without it the
 * IRQ path keeps using fxsave. */
static void enable_avx(void)
{
    uint32_t r[4];
    int xsave = (cpu_info.leaf1_ecx >> 26) & 1;
    int avx = (cpu_info.leaf1_ecx >> 28) & 1;
    cpuid(0, 0, r);
    if (!xsave || !avx || r[0] < 0xd)
        return;
    cpuid(0xd, 0, r);
    if ((r[0] & XCR0_X87_SSE_AVX) != XCR0_X87_SSE_AVX)
        return;
    set_osxsave_xcr0();
    cpuid(0xd, 0, r); /* EBX: save area size for the components now enabled */
    fpu_area_size = r[1];
    fpu_use_xsave = 1;
    cpu_info.avx_enabled = 1;
    cpuid(1, 0, r); /* refresh: the OSXSAVE bit now reads 1 */
    cpu_info.leaf1_ecx = r[2];
}

void cpu_init(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    memcpy(cpu_info.vendor, &r[1], 4);
    memcpy(cpu_info.vendor + 4, &r[3], 4);
    memcpy(cpu_info.vendor + 8, &r[2], 4);
    cpu_info.vendor[12] = 0;

    cpuid(1, 0, r);
    uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
    if (family == 0xf)
        family += (r[0] >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= ((r[0] >> 16) & 0xf) << 4;
    cpu_info.family = family;
    cpu_info.model = model;
    cpu_info.stepping = r[0] & 0xf;
    cpu_info.leaf1_ecx = r[2];
    cpu_info.leaf1_edx = r[3];
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        cpu_info.leaf7_ebx = r[1];
    }

    cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(cpu_info.brand + 16 * i, r, 16);
        }
        cpu_info.brand[48] = 0;
    } else {
        strncpy(cpu_info.brand, "(no brand string)", sizeof(cpu_info.brand) - 1);
    }
    enable_avx();
}

int cpu_init_ap(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    int xsave_avx = (r[2] >> 26 & 1) && (r[2] >> 28 & 1);
    if (cpu_info.avx_enabled && !xsave_avx)
        return -1;
    if (cpu_info.avx_enabled)
        set_osxsave_xcr0();
    /* The engine chose its kernels on the boot CPU: this one must run them too. */
    cpuid(1, 0, r);
    uint32_t leaf7_ebx = 0;
    if (cpu_info.leaf7_ebx) {
        uint32_t r7[4];
        cpuid(7, 0, r7);
        leaf7_ebx = r7[1];
    }
    return r[2] == cpu_info.leaf1_ecx && r[3] == cpu_info.leaf1_edx && leaf7_ebx == cpu_info.leaf7_ebx
               ? 0 : -1;
}

void cpu_feature_string(char *buf, int size)
{
    int used = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]) && used < size; i++) {
        if (has_feature(&features[i]))
            used += snprintf(buf + used, size - used, "%s%s", used ? " " : "", features[i].name);
    }
}
