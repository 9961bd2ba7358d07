/* ATA hard disks on the two IDE channels: found with IDENTIFY, read and
 * written with PIO (READ/WRITE MULTIPLE, 32-bit transfers) or with bus-master
 * DMA through the PCI IDE controller when it offers it. Each drive is a
 * struct blockdev for the filesystem. */
#ifndef DRIVERS_ATA_H
#define DRIVERS_ATA_H

#include <stdint.h>
#include "drivers/blockdev.h"

#define ATA_MAX_DRIVES 4

struct ata_drive {
    struct blockdev bd;          /* first member: a blockdev * is an ata_drive * */
    char name[16];               /* "ata0-master" ... */
    char model[41];
    uint16_t io, ctrl;           /* command block and control ports */
    uint16_t bmide;              /* bus-master registers of the channel, 0 if none */
    uint8_t slave;
    uint8_t lba48;
    uint8_t multiple;            /* sectors per READ/WRITE MULTIPLE block, 0 = single */
    uint8_t dma;                 /* use bus-master DMA */
};

/* Scan PCI for the IDE controller and both channels for drives; returns the
 * number of ATA disks found. Safe to call once at boot. */
int ata_init(void);
int ata_drive_count(void);
struct ata_drive *ata_get_drive(int index);
/* The PCI IDE controller, for `disk`: NULL when none was found. */
const char *ata_controller_name(void);
/* Work run between the status polls of a DMA transfer (NULL: none), until
 * the next call: the CPU would only spin there. work must return soon (the
 * end of the transfer is seen when it does) and must not use the disk. */
void ata_while_waiting(void (*work)(void *ctx), void *ctx);
/* Choose DMA (when the drive has it) or PIO for all drives; returns how many
 * drives now use DMA. */
int ata_set_dma(int enable);

#endif
