/* Reads the MBR partition table and picks the FAT32 partition to mount,
 * checking that it lies inside the disk. */
#include "fs/mbr.h"
#include "fs/fs.h"
#include "fs/fs_error.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mbr_find_fat32(struct blockdev *dev, uint64_t *lba, uint64_t *sectors)
{
    uint8_t s[512];
    if (dev->read(dev, 0, 1, s) != 0)
        return fs_fail(FS_EIO, "%s", dev->error);
    if (s[510] != 0x55 || s[511] != 0xAA)
        return fs_fail(FS_EBADFS, "sector 0 has no MBR signature");
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = s + 446 + 16 * i;
        uint8_t type = e[4] & 0xEF;          /* clear the "hidden" bit */
        if (type != 0x0B && type != 0x0C)
            continue;
        uint64_t start = rd32(e + 8), count = rd32(e + 12);
        if (start == 0 || count == 0 || start + count > dev->sectors)
            return fs_fail(FS_EBADFS, "partition %d (LBA %llu, %llu sectors) lies outside the disk",
                           i + 1, (unsigned long long)start, (unsigned long long)count);
        *lba = start;
        *sectors = count;
        return 0;
    }
    return fs_fail(FS_EBADFS, "no FAT32 partition in the MBR");
}
