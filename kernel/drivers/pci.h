/* PCI configuration space (mechanism #1, ports 0xCF8/0xCFC) and a bus scan
 * to find a device by class, e.g. the IDE controller for bus-master DMA. */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdint.h>

struct pci_device {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if;
};

uint32_t pci_read32(const struct pci_device *d, uint8_t offset);
void pci_write32(const struct pci_device *d, uint8_t offset, uint32_t value);
uint16_t pci_read16(const struct pci_device *d, uint8_t offset);
void pci_write16(const struct pci_device *d, uint8_t offset, uint16_t value);

/* First device with this class and subclass; 1 found, 0 none. */
int pci_find_class(uint8_t class_code, uint8_t subclass, struct pci_device *out);

/* Base address register `bar` (0-5): the I/O port base, or 0 when the BAR is
 * unset or maps memory. */
uint16_t pci_io_bar(const struct pci_device *d, int bar);

/* The address of memory BAR `bar` (32-bit, below 4 GiB), or 0 when the BAR
 * is unset, maps I/O ports or lies above 4 GiB. */
uint32_t pci_mem_bar(const struct pci_device *d, int bar);

#endif
