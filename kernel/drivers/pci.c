/* PCI configuration-space access through the 0xCF8 address / 0xCFC data ports,
 * and a brute-force scan of every bus, slot and function. */
#include "drivers/pci.h"
#include "arch/x86/io.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

static uint32_t address(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)(dev & 31) << 11 |
           (uint32_t)(fn & 7) << 8 | (offset & 0xFC);
}

static uint32_t read_raw(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset)
{
    outl(PCI_ADDR, address(bus, dev, fn, offset));
    return inl(PCI_DATA);
}

uint32_t pci_read32(const struct pci_device *d, uint8_t offset)
{
    return read_raw(d->bus, d->dev, d->fn, offset);
}

void pci_write32(const struct pci_device *d, uint8_t offset, uint32_t value)
{
    outl(PCI_ADDR, address(d->bus, d->dev, d->fn, offset));
    outl(PCI_DATA, value);
}

uint16_t pci_read16(const struct pci_device *d, uint8_t offset)
{
    return (uint16_t)(pci_read32(d, offset) >> ((offset & 2) * 8));
}

void pci_write16(const struct pci_device *d, uint8_t offset, uint16_t value)
{
    uint32_t shift = (offset & 2) * 8u;
    uint32_t v = pci_read32(d, offset) & ~(0xFFFFu << shift);
    pci_write32(d, offset, v | (uint32_t)value << shift);
}

int pci_find_class(uint8_t class_code, uint8_t subclass, struct pci_device *out)
{
    for (unsigned bus = 0; bus < 256; bus++) {
        for (uint8_t dev = 0; dev < 32; dev++) {
            if ((read_raw((uint8_t)bus, dev, 0, 0) & 0xFFFF) == 0xFFFF)
                continue;   /* empty slot */
            /* Header type bit 7: the device has functions 1-7 too. */
            uint8_t fns = (read_raw((uint8_t)bus, dev, 0, 0x0C) >> 16 & 0x80) ? 8 : 1;
            for (uint8_t fn = 0; fn < fns; fn++) {
                uint32_t id = read_raw((uint8_t)bus, dev, fn, 0);
                if ((id & 0xFFFF) == 0xFFFF)
                    continue;
                uint32_t cls = read_raw((uint8_t)bus, dev, fn, 0x08);
                if ((cls >> 24) != class_code || (uint8_t)(cls >> 16) != subclass)
                    continue;
                out->bus = (uint8_t)bus;
                out->dev = dev;
                out->fn = fn;
                out->vendor = (uint16_t)id;
                out->device = (uint16_t)(id >> 16);
                out->class_code = class_code;
                out->subclass = subclass;
                out->prog_if = (uint8_t)(cls >> 8);
                return 1;
            }
        }
    }
    return 0;
}

uint16_t pci_io_bar(const struct pci_device *d, int bar)
{
    uint32_t v = pci_read32(d, (uint8_t)(0x10 + 4 * bar));
    if (!(v & 1))
        return 0;
    return (uint16_t)(v & 0xFFFC);
}

uint32_t pci_mem_bar(const struct pci_device *d, int bar)
{
    uint32_t v = pci_read32(d, (uint8_t)(0x10 + 4 * bar));
    if ((v & 1) || (v & 6) == 4) /* I/O space, or a 64-bit BAR */
        return (v & 6) == 4 && !(v & 1) && pci_read32(d, (uint8_t)(0x14 + 4 * bar)) == 0 ? v & ~0xFu : 0;
    return v & ~0xFu;
}
