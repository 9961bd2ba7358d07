/* ATA disk driver. Commands are polled (interrupts masked with nIEN) with a
 * deadline on every wait, so a missing or hung drive becomes an error message
 * rather than a hang. Transfers use bus-master DMA when the PCI IDE controller
 * has it (a whole 8 MiB request in one command) and PIO otherwise; PIO moves
 * READ/WRITE MULTIPLE blocks with 32-bit `rep insd`/`rep outsd`, which under
 * emulation is several times faster than a word per port access. */
#include "drivers/ata.h"
#include "drivers/pci.h"
#include "drivers/console.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Command block registers (offsets from io). */
#define REG_DATA 0
#define REG_ERROR 1
#define REG_COUNT 2
#define REG_LBA0 3
#define REG_LBA1 4
#define REG_LBA2 5
#define REG_DRIVE 6
#define REG_STATUS 7
#define REG_CMD 7

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_BSY 0x80

#define CTL_NIEN 0x02
#define CTL_SRST 0x04

#define CMD_READ 0x20
#define CMD_READ_EXT 0x24
#define CMD_WRITE 0x30
#define CMD_WRITE_EXT 0x34
#define CMD_READ_MULT 0xC4
#define CMD_READ_MULT_EXT 0x29
#define CMD_WRITE_MULT 0xC5
#define CMD_WRITE_MULT_EXT 0x39
#define CMD_READ_DMA 0xC8
#define CMD_READ_DMA_EXT 0x25
#define CMD_WRITE_DMA 0xCA
#define CMD_WRITE_DMA_EXT 0x35
#define CMD_SET_MULTIPLE 0xC6
#define CMD_FLUSH 0xE7
#define CMD_FLUSH_EXT 0xEA
#define CMD_IDENTIFY 0xEC

/* Bus-master IDE registers (offsets from bmide). */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRD 4
#define BM_START 0x01
#define BM_TO_MEMORY 0x08
#define BM_ACTIVE 0x01
#define BM_ERROR 0x02
#define BM_IRQ 0x04

#define TIMEOUT_MS 5000u               /* a command that takes longer is hung */
#define PROBE_TIMEOUT_MS 500u
#define PIO_MAX_SECTORS 256u           /* one command; 256 is LBA28's limit too */
#define DMA_MAX_SECTORS 16384u         /* 8 MiB per command */
#define LBA28_LIMIT 0x10000000ull

/* A physical region descriptor: DMA moves `bytes` (0 = 64 KiB) at `addr`;
 * a region must not cross a 64 KiB boundary. */
struct prd {
    uint32_t addr;
    uint16_t bytes;
    uint16_t flags;                    /* 0x8000: last entry */
} __attribute__((packed));

#define PRD_MAX (DMA_MAX_SECTORS * 512 / 65536 + 1)
/* 4 KiB-aligned, so the table itself never crosses a 64 KiB boundary.
 * The kernel is identity-mapped: its addresses are physical addresses. */
static struct prd prd_table[PRD_MAX] __attribute__((aligned(4096)));

static struct ata_drive drives[ATA_MAX_DRIVES];
static struct {
    void (*fn)(void *ctx);
    void *ctx;
} wait_work;
static int drive_count;
static char controller[64];

int ata_drive_count(void) { return drive_count; }
struct ata_drive *ata_get_drive(int i) { return i >= 0 && i < drive_count ? &drives[i] : 0; }
const char *ata_controller_name(void) { return controller[0] ? controller : 0; }

/* Reading the alternate status four times takes the 400 ns the drive needs
 * after a register write before its status is meaningful. */
static void delay400(const struct ata_drive *d)
{
    for (int i = 0; i < 4; i++)
        inb(d->ctrl);
}

/* Deadlines in raw TSC ticks: polling loops compare rdtsc() against them,
 * which is far cheaper than converting to nanoseconds on every pass. */
static uint64_t deadline_after(uint32_t ms)
{
    return rdtsc() + tsc_hz() / 1000 * ms;
}

/* Wait until BSY clears; -1 on timeout. */
static int wait_ready(const struct ata_drive *d, uint32_t timeout_ms, uint8_t *status)
{
    uint64_t deadline = deadline_after(timeout_ms);
    for (;;) {
        uint8_t s = inb(d->ctrl);
        if (!(s & ST_BSY)) {
            *status = s;
            return 0;
        }
        if (rdtsc() > deadline) {
            *status = s;
            return -1;
        }
    }
}

static void describe_error(char *out, size_t n, uint8_t status, uint8_t err)
{
    static const char *const bits[8] = {
        "address mark not found", "track 0 not found", "command aborted",
        "media change requested", "sector not found", "media changed",
        "uncorrectable data error", "bad block or interface CRC error",
    };
    size_t len = 0;
    out[0] = 0;
    if (status & ST_DF)
        len += (size_t)snprintf(out, n, "device fault");
    for (int b = 7; b >= 0; b--)
        if ((status & ST_ERR) && (err & (1 << b)) && len < n)
            len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "", bits[b]);
    if (!out[0])
        snprintf(out, n, "error");
}

/* Record "<drive>: <op> of N sectors at LBA X failed: why" and return -1. */
static int fail(struct ata_drive *d, const char *op, uint64_t lba, uint32_t count, uint8_t status,
                const char *why)
{
    char detail[80];
    if (!why) {
        describe_error(detail, sizeof detail, status, inb(d->io + REG_ERROR));
        why = detail;
    }
    snprintf(d->bd.error, sizeof d->bd.error, "%s: %s of %u sectors at LBA %llu failed: %s (status 0x%02x)",
             d->name, op, (unsigned)count, (unsigned long long)lba, why, status);
    return -1;
}

/* Software reset of the channel, to recover a drive after a timeout. */
static void channel_reset(const struct ata_drive *d)
{
    uint8_t s;
    outb(d->ctrl, CTL_SRST | CTL_NIEN);
    delay400(d);
    outb(d->ctrl, CTL_NIEN);
    delay400(d);
    wait_ready(d, TIMEOUT_MS, &s);
}

static int timeout(struct ata_drive *d, const char *op, uint64_t lba, uint32_t count, uint8_t status)
{
    channel_reset(d);
    return fail(d, op, lba, count, status, "timed out, drive not responding");
}

/* Select the drive and load LBA and count, LBA48 form when needed. */
static int issue(struct ata_drive *d, uint8_t cmd, int ext, uint64_t lba, uint32_t count, const char *op)
{
    uint8_t s;
    if (wait_ready(d, TIMEOUT_MS, &s) != 0)
        return timeout(d, op, lba, count, s);
    if (ext) {
        outb(d->io + REG_DRIVE, (uint8_t)(0x40 | d->slave << 4));
        delay400(d);
        outb(d->io + REG_COUNT, (uint8_t)(count >> 8));
        outb(d->io + REG_LBA0, (uint8_t)(lba >> 24));
        outb(d->io + REG_LBA1, (uint8_t)(lba >> 32));
        outb(d->io + REG_LBA2, (uint8_t)(lba >> 40));
    } else {
        outb(d->io + REG_DRIVE, (uint8_t)(0xE0 | d->slave << 4 | (lba >> 24 & 0x0F)));
        delay400(d);
    }
    outb(d->io + REG_COUNT, (uint8_t)count);    /* 0 means 256 (65536 with ext) */
    outb(d->io + REG_LBA0, (uint8_t)lba);
    outb(d->io + REG_LBA1, (uint8_t)(lba >> 8));
    outb(d->io + REG_LBA2, (uint8_t)(lba >> 16));
    outb(d->io + REG_CMD, cmd);
    delay400(d);
    return 0;
}

static int pio_transfer(struct ata_drive *d, int write, uint64_t lba, uint32_t count, uint8_t *buf)
{
    const char *op = write ? "write" : "read";
    int ext = lba + count > LBA28_LIMIT;
    uint8_t cmd;
    if (d->multiple)
        cmd = write ? (ext ? CMD_WRITE_MULT_EXT : CMD_WRITE_MULT) : (ext ? CMD_READ_MULT_EXT : CMD_READ_MULT);
    else
        cmd = write ? (ext ? CMD_WRITE_EXT : CMD_WRITE) : (ext ? CMD_READ_EXT : CMD_READ);
    if (issue(d, cmd, ext, lba, count, op) != 0)
        return -1;
    uint32_t block = d->multiple ? d->multiple : 1;
    for (uint32_t done = 0; done < count;) {
        uint8_t s;
        if (wait_ready(d, TIMEOUT_MS, &s) != 0)
            return timeout(d, op, lba, count, s);
        if (s & (ST_ERR | ST_DF))
            return fail(d, op, lba, count, s, 0);
        if (!(s & ST_DRQ))
            return fail(d, op, lba, count, s, "drive did not request data");
        uint32_t n = count - done < block ? count - done : block;
        uint32_t dwords = n * 128;
        void *p = buf + (size_t)done * 512;
        if (write)
            __asm__ volatile("rep outsl" : "+S"(p), "+c"(dwords) : "d"(d->io + REG_DATA) : "memory");
        else
            __asm__ volatile("rep insl" : "+D"(p), "+c"(dwords) : "d"(d->io + REG_DATA) : "memory");
        done += n;
    }
    uint8_t s;
    if (wait_ready(d, TIMEOUT_MS, &s) != 0)
        return timeout(d, op, lba, count, s);
    s = inb(d->io + REG_STATUS);
    return (s & (ST_ERR | ST_DF)) ? fail(d, op, lba, count, s, 0) : 0;
}

static int dma_transfer(struct ata_drive *d, int write, uint64_t lba, uint32_t count, uint8_t *buf)
{
    const char *op = write ? "DMA write" : "DMA read";
    uint32_t addr = (uint32_t)(uintptr_t)buf, left = count * 512;
    int n = 0;
    while (left) {
        uint32_t chunk = 0x10000 - (addr & 0xFFFF);
        if (chunk > left)
            chunk = left;
        prd_table[n].addr = addr;
        prd_table[n].bytes = (uint16_t)chunk;
        prd_table[n].flags = 0;
        n++;
        addr += chunk;
        left -= chunk;
    }
    prd_table[n - 1].flags = 0x8000;
    uint8_t dir = write ? 0 : BM_TO_MEMORY;
    outb(d->bmide + BM_CMD, 0);
    outl(d->bmide + BM_PRD, (uint32_t)(uintptr_t)prd_table);
    outb(d->bmide + BM_STATUS, inb(d->bmide + BM_STATUS) | BM_ERROR | BM_IRQ);  /* write 1 to clear */
    outb(d->bmide + BM_CMD, dir);
    int ext = lba + count > LBA28_LIMIT || count > 256;
    uint8_t cmd = write ? (ext ? CMD_WRITE_DMA_EXT : CMD_WRITE_DMA) : (ext ? CMD_READ_DMA_EXT : CMD_READ_DMA);
    if (issue(d, cmd, ext, lba, count, op) != 0)
        return -1;
    outb(d->bmide + BM_CMD, dir | BM_START);
    /* With nIEN set no interrupt is raised: the transfer is over when the
     * controller drops its active bit and the drive is no longer busy. */
    uint64_t deadline = deadline_after(TIMEOUT_MS);
    uint8_t bs, s;
    for (;;) {
        bs = inb(d->bmide + BM_STATUS);
        s = inb(d->ctrl);
        if ((bs & BM_ERROR) || (!(bs & BM_ACTIVE) && !(s & ST_BSY)))
            break;
        if (rdtsc() > deadline) {
            outb(d->bmide + BM_CMD, 0);
            return timeout(d, op, lba, count, s);
        }
        /* Under emulation the controller copies on another host thread
         * meanwhile, so work done here is free. */
        if (wait_work.fn)
            wait_work.fn(wait_work.ctx);
    }
    outb(d->bmide + BM_CMD, 0);
    s = inb(d->io + REG_STATUS);
    if (s & (ST_ERR | ST_DF))
        return fail(d, op, lba, count, s, 0);
    if (bs & BM_ERROR)
        return fail(d, op, lba, count, s, "bus-master DMA error");
    return 0;
}

void ata_while_waiting(void (*work)(void *ctx), void *ctx)
{
    wait_work.fn = work;
    wait_work.ctx = ctx;
}

/* Split a request into commands; DMA first, PIO as the fallback. */
static int transfer(struct ata_drive *d, int write, uint64_t lba, uint32_t count, uint8_t *buf)
{
    if (lba + count > d->bd.sectors || lba + count < lba)
        return fail(d, write ? "write" : "read", lba, count, 0, "beyond the end of the disk");
    /* DMA needs word-aligned buffers below 4 GiB (always so on this kernel). */
    int dma = d->dma && !((uintptr_t)buf & 1);
    uint32_t max = dma ? (d->lba48 ? DMA_MAX_SECTORS : 256) : PIO_MAX_SECTORS;
    while (count) {
        uint32_t n = count < max ? count : max;
        if (!d->lba48 && lba + n > LBA28_LIMIT)
            return fail(d, write ? "write" : "read", lba, n, 0, "LBA beyond 28 bits on a drive without LBA48");
        int r = dma ? dma_transfer(d, write, lba, n, buf) : pio_transfer(d, write, lba, n, buf);
        if (r != 0 && dma) {
            /* Keep the DMA error if PIO fails too; if PIO works, DMA is broken. */
            char dma_error[sizeof d->bd.error];
            memcpy(dma_error, d->bd.error, sizeof dma_error);
            if (pio_transfer(d, write, lba, n, buf) != 0) {
                memcpy(d->bd.error, dma_error, sizeof dma_error);
                return -1;
            }
            kprintf("%s: DMA failed (%s); using PIO from now on\n", d->name, dma_error);
            d->dma = 0;
            dma = 0;
            max = PIO_MAX_SECTORS;
            r = 0;
        }
        if (r != 0)
            return -1;
        lba += n;
        count -= n;
        buf += (size_t)n * 512;
    }
    return 0;
}

static int ata_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    return transfer((struct ata_drive *)bd, 0, lba, count, buf);
}

static int ata_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf)
{
    /* The buffer is only read from; transfer() shares code with reads. */
    return transfer((struct ata_drive *)bd, 1, lba, count, (uint8_t *)(uintptr_t)buf);
}

static int ata_flush(struct blockdev *bd)
{
    struct ata_drive *d = (struct ata_drive *)bd;
    uint8_t s;
    if (issue(d, d->lba48 ? CMD_FLUSH_EXT : CMD_FLUSH, 0, 0, 0, "cache flush") != 0)
        return -1;
    if (wait_ready(d, TIMEOUT_MS, &s) != 0)
        return timeout(d, "cache flush", 0, 0, s);
    s = inb(d->io + REG_STATUS);
    return (s & (ST_ERR | ST_DF)) ? fail(d, "cache flush", 0, 0, s, 0) : 0;
}

static void copy_string(char *out, const uint16_t *words, int nwords)
{
    /* IDENTIFY strings hold two characters per word, high byte first. */
    for (int i = 0; i < nwords; i++) {
        out[2 * i] = (char)(words[i] >> 8);
        out[2 * i + 1] = (char)words[i];
    }
    int n = 2 * nwords;
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == 0))
        n--;
    out[n] = 0;
}

/* IDENTIFY DEVICE: 1 an ATA disk answered, 0 nothing (or not a disk). */
static int identify(struct ata_drive *d, uint16_t id[256])
{
    uint8_t s = inb(d->io + REG_STATUS);
    if (s == 0xFF)
        return 0;                       /* floating bus: no channel */
    outb(d->ctrl, CTL_NIEN);
    outb(d->io + REG_DRIVE, (uint8_t)(0xA0 | d->slave << 4));
    delay400(d);
    outb(d->io + REG_COUNT, 0);
    outb(d->io + REG_LBA0, 0);
    outb(d->io + REG_LBA1, 0);
    outb(d->io + REG_LBA2, 0);
    outb(d->io + REG_CMD, CMD_IDENTIFY);
    delay400(d);
    if (inb(d->ctrl) == 0)
        return 0;                       /* no drive at this position */
    if (wait_ready(d, PROBE_TIMEOUT_MS, &s) != 0)
        return 0;
    /* ATAPI and SATA devices abort IDENTIFY and leave a signature here. */
    if (inb(d->io + REG_LBA1) != 0 || inb(d->io + REG_LBA2) != 0)
        return 0;
    uint64_t deadline = deadline_after(PROBE_TIMEOUT_MS);
    while (!((s = inb(d->ctrl)) & (ST_DRQ | ST_ERR)))
        if (rdtsc() > deadline)
            return 0;
    if (s & ST_ERR)
        return 0;
    uint32_t words = 128;
    void *p = id;
    __asm__ volatile("rep insl" : "+D"(p), "+c"(words) : "d"(d->io + REG_DATA) : "memory");
    inb(d->io + REG_STATUS);
    return 1;
}

/* Largest READ/WRITE MULTIPLE block the drive accepts, set up; 0 = none. */
static uint8_t setup_multiple(struct ata_drive *d, const uint16_t *id)
{
    uint8_t max = (uint8_t)id[47];
    uint8_t s;
    if (max == 0 || max > 128)
        return 0;
    if (issue(d, CMD_SET_MULTIPLE, 0, 0, max, "set multiple") != 0 ||
        wait_ready(d, TIMEOUT_MS, &s) != 0 || (s & ST_ERR))
        return 0;
    return max;
}

/* The PCI IDE function: its channel ports (native or legacy) and bus master. */
static void find_controller(uint16_t io[2], uint16_t ctrl[2], uint16_t bm[2])
{
    struct pci_device pci;
    io[0] = 0x1F0, ctrl[0] = 0x3F6, io[1] = 0x170, ctrl[1] = 0x376;
    bm[0] = bm[1] = 0;
    if (!pci_find_class(0x01, 0x01, &pci))
        return;
    for (int ch = 0; ch < 2; ch++) {
        if (pci.prog_if & (1 << (2 * ch))) {     /* channel in PCI native mode */
            io[ch] = pci_io_bar(&pci, 2 * ch);
            ctrl[ch] = (uint16_t)(pci_io_bar(&pci, 2 * ch + 1) + 2);
        }
    }
    uint16_t base = (pci.prog_if & 0x80) ? pci_io_bar(&pci, 4) : 0;
    if (base) {
        /* Enable I/O decoding and bus mastering in the command register. */
        pci_write16(&pci, 0x04, (uint16_t)(pci_read16(&pci, 0x04) | 0x05));
        bm[0] = base;
        bm[1] = (uint16_t)(base + 8);
    }
    snprintf(controller, sizeof controller, "PCI %02x:%02x.%u %04x:%04x, %s", pci.bus, pci.dev,
             pci.fn, pci.vendor, pci.device, base ? "bus-master DMA" : "no bus master (PIO only)");
}

int ata_init(void)
{
    uint16_t io[2], ctrl[2], bm[2];
    find_controller(io, ctrl, bm);
    drive_count = 0;
    for (int ch = 0; ch < 2; ch++) {
        for (uint8_t slave = 0; slave < 2; slave++) {
            struct ata_drive *d = &drives[drive_count];
            uint16_t id[256];
            memset(d, 0, sizeof *d);
            d->io = io[ch];
            d->ctrl = ctrl[ch];
            d->slave = slave;
            snprintf(d->name, sizeof d->name, "ata%d-%s", ch, slave ? "slave" : "master");
            if (!d->io || !identify(d, id))
                continue;
            copy_string(d->model, id + 27, 20);
            d->lba48 = (id[83] & (1 << 10)) != 0;
            uint64_t sectors = d->lba48 ? (uint64_t)id[100] | (uint64_t)id[101] << 16 |
                                              (uint64_t)id[102] << 32 | (uint64_t)id[103] << 48
                                        : (uint64_t)id[60] | (uint64_t)id[61] << 16;
            if (sectors == 0)
                continue;
            d->multiple = setup_multiple(d, id);
            d->bmide = (id[49] & (1 << 8)) ? bm[ch] : 0;   /* word 49 bit 8: DMA */
            d->dma = d->bmide != 0;
            d->bd.name = d->name;
            d->bd.sectors = sectors;
            d->bd.read = ata_read;
            d->bd.write = ata_write;
            d->bd.flush = ata_flush;
            d->bd.priv = d;
            drive_count++;
        }
    }
    return drive_count;
}

int ata_set_dma(int enable)
{
    int n = 0;
    for (int i = 0; i < drive_count; i++) {
        drives[i].dma = enable && drives[i].bmide;
        n += drives[i].dma;
    }
    return n;
}
