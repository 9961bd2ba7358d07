/* acpi.c: reads the ACPI tables just far enough to list the processors: the
 * RSDP (in the EBDA's first KiB or the BIOS area 0xe0000-0xfffff), the RSDT
 * or XSDT it points to, and the MADT ("APIC") among their tables. Every
 * structure's checksum and length are checked before use, so a broken table
 * means "no list", never a wild read. The tables are in RAM the E820 map
 * reserves, which paging maps 1:1. */
#include "arch/x86/acpi.h"
#include "lib/string.h"

#define EBDA_SEGMENT_PTR 0x40e
#define BIOS_AREA_START 0xe0000
#define BIOS_AREA_END 0x100000
#define MADT_LOCAL_APIC 0
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC 9
#define LAPIC_ENABLED 1u
#define LAPIC_ONLINE_CAPABLE 2u
#define TABLE_MAX_LENGTH (1u << 20) /* far more than any real RSDT/XSDT/MADT */

struct rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;  /* bytes 0-19 sum to 0 */
    char oem[6];
    uint8_t revision;  /* 0: ACPI 1.0 (RSDT only); 2+: XSDT fields follow */
    uint32_t rsdt;
    uint32_t length;   /* revision 2+: the whole structure, summed by ext_checksum */
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
    char signature[4];
    uint32_t length;   /* header included */
    uint8_t revision;
    uint8_t checksum;  /* the whole table sums to 0 */
    char oem[6];
    char oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

struct madt {
    struct sdt_header h;
    uint32_t lapic_base;
    uint32_t flags;
    uint8_t entries[]; /* type, length, body... */
} __attribute__((packed));

static uint8_t sum_bytes(const void *p, uint32_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (n--)
        s += *b++;
    return s;
}

static const struct rsdp *rsdp_scan(uint32_t start, uint32_t end)
{
    for (uint32_t a = start; a + sizeof(struct rsdp) <= end; a += 16) {
        const struct rsdp *r = (const struct rsdp *)a;
        if (memcmp(r->signature, "RSD PTR ", 8) == 0 && sum_bytes(r, 20) == 0)
            return r;
    }
    return 0;
}

static const struct rsdp *rsdp_find(void)
{
    uint16_t segment; /* in asm: GCC takes a constant address for an empty array */
    __asm__ volatile("movw (%1), %0" : "=r"(segment) : "r"(EBDA_SEGMENT_PTR));
    uint32_t ebda = (uint32_t)segment << 4;
    const struct rsdp *r = 0;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        r = rsdp_scan(ebda, ebda + 1024);
    return r ? r : rsdp_scan(BIOS_AREA_START, BIOS_AREA_END);
}

static const struct sdt_header *table_at(uint64_t addr, const char *signature)
{
    if (addr == 0 || addr + sizeof(struct sdt_header) > 0x100000000ull)
        return 0;
    const struct sdt_header *h = (const struct sdt_header *)(uint32_t)addr;
    if (signature && memcmp(h->signature, signature, 4) != 0)
        return 0;
    if (h->length < sizeof(*h) || h->length > TABLE_MAX_LENGTH || addr + h->length > 0x100000000ull)
        return 0;
    return sum_bytes(h, h->length) == 0 ? h : 0;
}

/* The MADT among the root table's entries (4-byte pointers in the RSDT,
 * 8-byte ones in the XSDT). */
static const struct madt *madt_find(const struct sdt_header *root, uint32_t entry_size)
{
    uint32_t n = (root->length - sizeof(*root)) / entry_size;
    const uint8_t *p = (const uint8_t *)(root + 1);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = 0;
        memcpy(&addr, p + i * entry_size, entry_size);
        const struct sdt_header *t = table_at(addr, "APIC");
        if (t && t->length >= sizeof(struct madt))
            return (const struct madt *)t;
    }
    return 0;
}

static void add_cpu(struct acpi_cpus *out, uint32_t apic_id, uint32_t flags)
{
    if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
        return; /* not present at all: not counted as skipped */
    if (!(flags & LAPIC_ENABLED) || apic_id > 0xfe || out->count == MAX_CPUS) {
        out->skipped++; /* hot-plug slot, x2APIC-only ID, or over the limit */
        return;
    }
    out->apic_id[out->count++] = (uint8_t)apic_id;
}

int acpi_find_cpus(struct acpi_cpus *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    const struct rsdp *r = rsdp_find();
    if (!r) {
        *why = "no ACPI RSDP";
        return -1;
    }
    const struct madt *madt = 0;
    if (r->revision >= 2 && r->length >= sizeof(*r) && sum_bytes(r, sizeof(*r)) == 0) {
        const struct sdt_header *x = table_at(r->xsdt, "XSDT");
        if (x && (madt = madt_find(x, 8)))
            memcpy(out->table, "XSDT", 5);
    }
    if (!madt) {
        const struct sdt_header *rs = table_at(r->rsdt, "RSDT");
        if (rs && (madt = madt_find(rs, 4)))
            memcpy(out->table, "RSDT", 5);
    }
    if (!madt) {
        *why = "no valid ACPI MADT";
        return -1;
    }
    out->lapic_base = madt->lapic_base;
    const uint8_t *p = madt->entries, *end = (const uint8_t *)madt + madt->h.length;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        uint32_t flags, id;
        if (p[0] == MADT_LOCAL_APIC && p[1] >= 8) {
            memcpy(&flags, p + 4, 4);
            add_cpu(out, p[3], flags);
        } else if (p[0] == MADT_X2APIC && p[1] >= 16) {
            memcpy(&id, p + 4, 4);
            memcpy(&flags, p + 8, 4);
            add_cpu(out, id, flags);
        } else if (p[0] == MADT_LAPIC_OVERRIDE && p[1] >= 12) {
            uint64_t base;
            memcpy(&base, p + 4, 8);
            if (base < 0x100000000ull)
                out->lapic_base = (uint32_t)base;
        }
        p += p[1];
    }
    if (out->count == 0) {
        *why = "the ACPI MADT lists no usable processor";
        return -1;
    }
    return 0;
}
