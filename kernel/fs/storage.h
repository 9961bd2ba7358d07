/* Storage bring-up at boot: disks, then the filesystem of the boot disk. */
#ifndef FS_STORAGE_H
#define FS_STORAGE_H

#include "drivers/blockdev.h"

/* Find ATA drives and mount the first FAT32 partition found. Prints one line
 * per step; a failure leaves the shell usable, with fs calls reporting why. */
void storage_init(void);
/* The disk whose partition is mounted, or NULL. */
struct blockdev *storage_boot_disk(void);

#endif
