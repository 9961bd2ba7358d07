/* power.c: reboot through the 8042 reset line (a triple fault if that does
 * nothing) and power-off through QEMU's debug-exit port or ACPI S5. For S5 the
 * FADT gives the PM1 control ports and the DSDT's \_S5 package the sleep type. */
#include <stdint.h>
#include "drivers/power.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "lib/string.h"

#define DEBUG_EXIT_PORT 0xf4
#define SLP_EN (1u << 13)
#define SCI_EN 1u

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

static uint16_t pm1a_cnt, pm1b_cnt, slp_typa, slp_typb;
static uint32_t smi_cmd;
static uint8_t acpi_enable_value;
static int acpi_ready;

static int checksum_ok(const void *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const uint8_t *find_rsdp(uintptr_t start, uintptr_t end)
{
    for (uintptr_t a = start; a + 20 <= end; a += 16) {
        if (memcmp((const void *)a, "RSD PTR ", 8) == 0 && checksum_ok((const void *)a, 20))
            return (const uint8_t *)a;
    }
    return NULL;
}

/* Sleep type from "_S5_" Package: {SLP_TYPa, SLP_TYPb, ...}; AML encodes
 * small integers as ZeroOp/OneOp or BytePrefix + byte. */
static int parse_s5(const struct acpi_header *dsdt)
{
    const uint8_t *p = (const uint8_t *)(dsdt + 1);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
            continue;
        p += 5;
        p += ((*p >> 6) & 3) + 1; /* PkgLength: lead byte + extra bytes */
        p++;                      /* NumElements */
        uint16_t vals[2];
        for (int i = 0; i < 2 && p < end; i++) {
            if (*p == 0x0a) {
                vals[i] = p[1];
                p += 2;
            } else {
                vals[i] = *p == 0x01;
                p++;
            }
        }
        slp_typa = (uint16_t)(vals[0] << 10);
        slp_typb = (uint16_t)(vals[1] << 10);
        return 1;
    }
    return 0;
}

void power_init(void)
{
    /* The EBDA segment is a word at 0x40e; read through asm because the
     * compiler treats constant addresses in page 0 as NULL arithmetic. */
    uint32_t ebda_seg;
    __asm__ volatile("movzwl 0x40e, %0" : "=r"(ebda_seg));
    uintptr_t ebda = (uintptr_t)ebda_seg << 4;
    const uint8_t *rsdp = NULL;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        rsdp = find_rsdp(ebda, ebda + 1024);
    if (!rsdp)
        rsdp = find_rsdp(0xe0000, 0x100000);
    if (!rsdp)
        return;
    const struct acpi_header *rsdt = (const void *)*(const uint32_t *)(rsdp + 16);
    if (memcmp(rsdt->signature, "RSDT", 4) != 0 || !checksum_ok(rsdt, rsdt->length))
        return;
    const uint32_t *entries = (const uint32_t *)(rsdt + 1);
    uint32_t count = (rsdt->length - sizeof(*rsdt)) / 4;
    for (uint32_t i = 0; i < count; i++) {
        const struct acpi_header *h = (const void *)entries[i];
        if (memcmp(h->signature, "FACP", 4) != 0)
            continue;
        const uint8_t *fadt = (const uint8_t *)h;
        const struct acpi_header *dsdt = (const void *)*(const uint32_t *)(fadt + 40);
        smi_cmd = *(const uint32_t *)(fadt + 48);
        acpi_enable_value = fadt[52];
        pm1a_cnt = (uint16_t)*(const uint32_t *)(fadt + 64);
        pm1b_cnt = (uint16_t)*(const uint32_t *)(fadt + 68);
        if (memcmp(dsdt->signature, "DSDT", 4) == 0 && pm1a_cnt && parse_s5(dsdt))
            acpi_ready = 1;
        return;
    }
}

void reboot(void)
{
    cpu_cli();
    for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
        ;
    outb(0x64, 0xfe); /* pulse the CPU reset line */
    /* Still here: an empty IDT turns the next interrupt into a triple fault. */
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) null_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(null_idt));
    for (;;)
        cpu_hlt();
}

void poweroff(uint8_t code)
{
    outb(DEBUG_EXIT_PORT, code);
    if (!acpi_ready)
        return;
    if (!(inw(pm1a_cnt) & SCI_EN) && smi_cmd && acpi_enable_value) {
        outb((uint16_t)smi_cmd, acpi_enable_value);
        for (int i = 0; i < 300 && !(inw(pm1a_cnt) & SCI_EN); i++)
            timer_sleep_ms(1);
    }
    outw(pm1a_cnt, slp_typa | SLP_EN);
    if (pm1b_cnt)
        outw(pm1b_cnt, slp_typb | SLP_EN);
    timer_sleep_ms(100); /* the machine should be gone by now */
}
