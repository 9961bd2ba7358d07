/* The MBR partition table of a disk. */
#ifndef FS_MBR_H
#define FS_MBR_H

#include <stdint.h>
#include "drivers/blockdev.h"

/* Find the first FAT32 partition (types 0x0B/0x0C, hidden 0x1B/0x1C).
 * 0 with its start and length in sectors, or a negative FS_E* code. */
int mbr_find_fat32(struct blockdev *dev, uint64_t *lba, uint64_t *sectors);

#endif
