/* e1000.c: driver for the Intel 8254x Ethernet controllers QEMU emulates.
 * Memory-mapped registers (BAR 0), one receive and one transmit ring of
 * legacy descriptors with 2 KiB buffers in static memory (the kernel's
 * addresses are physical), and an interrupt for received frames and link
 * changes. Receive handling runs in the interrupt: the frames go straight
 * to the network stack, which answers ARP and acknowledges TCP data while
 * the shell is busy (e.g. computing a token). */
#include "drivers/e1000.h"
#include "drivers/pci.h"
#include "arch/x86/interrupts.h"
#include "lib/string.h"

#define REG_CTRL 0x0000
#define REG_STATUS 0x0008
#define REG_EERD 0x0014
#define REG_ICR 0x00C0
#define REG_IMS 0x00D0
#define REG_IMC 0x00D8
#define REG_RCTL 0x0100
#define REG_TCTL 0x0400
#define REG_TIPG 0x0410
#define REG_RDBAL 0x2800
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_TDBAL 0x3800
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_MTA 0x5200
#define REG_RAL 0x5400
#define REG_RAH 0x5404

#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define EERD_START 1u
#define EERD_DONE (1u << 4)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)  /* accept broadcasts */
#define RCTL_SECRC (1u << 26) /* strip the FCS */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x10u << 4)
#define TCTL_COLD (0x40u << 12)
#define ICR_LSC (1u << 2)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO (1u << 6)
#define ICR_RXT0 (1u << 7)
#define RAH_AV (1u << 31)

#define DESC_DD 0x01
#define DESC_EOP 0x01
#define TX_CMD_EOP 0x01
#define TX_CMD_IFCS 0x02
#define TX_CMD_RS 0x08

#define RX_RING 64
#define TX_RING 64
#define BUF_SIZE 2048

struct rx_desc {
    uint64_t addr;
    uint16_t length, checksum;
    uint8_t status, errors;
    uint16_t special;
} __attribute__((packed));

struct tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso, cmd, status, css;
    uint16_t special;
} __attribute__((packed));

static const uint16_t device_ids[] = { 0x100E, 0x100C, 0x100F }; /* 82540EM, 82544GC, 82545EM */

static volatile uint32_t *regs;
static struct rx_desc rx_ring[RX_RING] __attribute__((aligned(128)));
static struct tx_desc tx_ring[TX_RING] __attribute__((aligned(128)));
static uint8_t rx_bufs[RX_RING][BUF_SIZE] __attribute__((aligned(16)));
static uint8_t tx_bufs[TX_RING][BUF_SIZE] __attribute__((aligned(16)));
static uint32_t rx_next, tx_next;
static void (*deliver)(const uint8_t *frame, size_t len);

static uint32_t rd(uint32_t reg)
{
    return regs[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    regs[reg / 4] = v;
}

/* One 16-bit word of the EEPROM; 0 when it does not answer. */
static uint16_t eeprom_read(uint8_t addr)
{
    wr(REG_EERD, EERD_START | (uint32_t)addr << 8);
    for (int i = 0; i < 100000; i++) {
        uint32_t v = rd(REG_EERD);
        if (v & EERD_DONE)
            return (uint16_t)(v >> 16);
    }
    return 0;
}

static void receive(void)
{
    while (rx_ring[rx_next].status & DESC_DD) {
        struct rx_desc *d = &rx_ring[rx_next];
        /* Frames longer than a buffer arrive in pieces: dropped. */
        if ((d->status & DESC_EOP) && d->errors == 0 && deliver)
            deliver(rx_bufs[rx_next], d->length);
        d->status = 0;
        wr(REG_RDT, rx_next); /* this descriptor is the card's again */
        rx_next = (rx_next + 1) % RX_RING;
    }
}

static void e1000_irq(struct int_frame *frame)
{
    (void)frame;
    uint32_t cause = rd(REG_ICR); /* reading clears it */
    if (cause & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0))
        receive();
}

int e1000_link_up(void)
{
    return regs && (rd(REG_STATUS) & STATUS_LU) != 0;
}

int e1000_send(const void *frame, size_t len)
{
    if (!regs || len > BUF_SIZE)
        return -1;
    struct tx_desc *d = &tx_ring[tx_next];
    if (!(d->status & DESC_DD))
        return -1; /* the card has not sent it yet: ring full */
    memcpy(tx_bufs[tx_next], frame, len);
    if (len < 60) { /* Ethernet's minimum frame, before the FCS */
        memset(tx_bufs[tx_next] + len, 0, 60 - len);
        len = 60;
    }
    d->length = (uint16_t)len;
    d->cmd = TX_CMD_EOP | TX_CMD_IFCS | TX_CMD_RS;
    d->status = 0;
    tx_next = (tx_next + 1) % TX_RING;
    wr(REG_TDT, tx_next);
    return 0;
}

static int find_card(struct pci_device *dev)
{
    if (!pci_find_class(0x02, 0x00, dev) || dev->vendor != 0x8086) /* Ethernet controller, Intel */
        return -1;
    for (size_t i = 0; i < sizeof device_ids / sizeof device_ids[0]; i++)
        if (dev->device == device_ids[i])
            return 0;
    return -1;
}

int e1000_init(uint8_t mac[6], void (*rx)(const uint8_t *frame, size_t len))
{
    struct pci_device dev;
    if (find_card(&dev) != 0)
        return -1;
    uint32_t base = pci_mem_bar(&dev, 0);
    if (!base)
        return -1;
    pci_write16(&dev, 0x04, (uint16_t)(pci_read16(&dev, 0x04) | 0x6)); /* memory space, bus master */
    regs = (volatile uint32_t *)(uintptr_t)base;

    wr(REG_IMC, 0xffffffffu);
    wr(REG_CTRL, rd(REG_CTRL) | CTRL_RST);
    for (int i = 0; i < 100000 && (rd(REG_CTRL) & CTRL_RST); i++)
        ;
    wr(REG_IMC, 0xffffffffu);
    rd(REG_ICR);
    wr(REG_CTRL, rd(REG_CTRL) | CTRL_SLU);

    for (int i = 0; i < 3; i++) {
        uint16_t w = eeprom_read((uint8_t)i);
        mac[2 * i] = (uint8_t)w;
        mac[2 * i + 1] = (uint8_t)(w >> 8);
    }
    wr(REG_RAL, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
    wr(REG_RAH, (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | RAH_AV);
    for (int i = 0; i < 128; i++)
        wr(REG_MTA + 4 * (uint32_t)i, 0);

    for (int i = 0; i < RX_RING; i++) {
        rx_ring[i].addr = (uintptr_t)rx_bufs[i];
        rx_ring[i].status = 0;
    }
    wr(REG_RDBAL, (uintptr_t)rx_ring);
    wr(REG_RDBAH, 0);
    wr(REG_RDLEN, sizeof rx_ring);
    wr(REG_RDH, 0);
    wr(REG_RDT, RX_RING - 1);
    rx_next = 0;
    deliver = rx;
    wr(REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC); /* 2 KiB buffers */

    for (int i = 0; i < TX_RING; i++) {
        tx_ring[i].addr = (uintptr_t)tx_bufs[i];
        tx_ring[i].status = DESC_DD; /* free */
        tx_ring[i].cmd = 0;
    }
    wr(REG_TDBAL, (uintptr_t)tx_ring);
    wr(REG_TDBAH, 0);
    wr(REG_TDLEN, sizeof tx_ring);
    wr(REG_TDH, 0);
    wr(REG_TDT, 0);
    tx_next = 0;
    wr(REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
    wr(REG_TIPG, 10 | 8 << 10 | 6 << 20);

    uint32_t line = pci_read32(&dev, 0x3C) & 0xFF;
    if (line > 15) { /* no interrupt routed: the card cannot be used */
        wr(REG_RCTL, 0);
        wr(REG_TCTL, 0);
        regs = NULL;
        return -1;
    }
    irq_install((int)line, e1000_irq);
    wr(REG_IMS, ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_LSC);
    return 0;
}
