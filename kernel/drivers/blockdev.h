/* A block device: what the filesystem needs from a disk. The ATA driver in the
 * kernel and a disk-image file in the host test harness both provide one, so the
 * same FAT32 code runs (and is tested) in both places. */
#ifndef DRIVERS_BLOCKDEV_H
#define DRIVERS_BLOCKDEV_H

#include <stdint.h>
#include <stddef.h>

#define BLOCKDEV_SECTOR 512u

struct blockdev {
    const char *name;
    uint64_t sectors;            /* capacity in 512-byte sectors */
    /* Each returns 0 on success, -1 on failure with a message in `error`. */
    int (*read)(struct blockdev *dev, uint64_t lba, uint32_t count, void *buf);
    int (*write)(struct blockdev *dev, uint64_t lba, uint32_t count, const void *buf);
    int (*flush)(struct blockdev *dev);
    void *priv;
    char error[160];             /* last failure, one line, no trailing newline */
};

#endif
