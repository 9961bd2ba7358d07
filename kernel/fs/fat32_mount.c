/* FAT32 volume: checks the boot sector (BPB) before trusting any of it, reads
 * FSInfo, counts free clusters, and writes cached metadata back (sync). */
#include "fs/fat32.h"
#include "lib/string.h"
#include "lib/memory.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t x) { p[0] = (uint8_t)x; p[1] = (uint8_t)(x >> 8); p[2] = (uint8_t)(x >> 16); p[3] = (uint8_t)(x >> 24); }

#define FSINFO_LEAD 0x41615252u
#define FSINFO_STRUCT 0x61417272u
#define FSINFO_TRAIL 0xAA550000u

int fat32_io(struct fat32 *v, int write, uint32_t sector, uint32_t count, void *buf)
{
    uint64_t lba = v->lba0 + sector;
    int r = write ? v->dev->write(v->dev, lba, count, buf) : v->dev->read(v->dev, lba, count, buf);
    if (r != 0)
        return fs_fail(FS_EIO, "%s", v->dev->error);
    return 0;
}

uint32_t fat32_cluster_sector(const struct fat32 *v, uint32_t cluster)
{
    return v->data_sector + (cluster - 2) * v->spc;
}

static int bad(const char *what)
{
    return fs_fail(FS_EBADFS, "boot sector: %s", what);
}

/* Validate the BPB fields this driver relies on; fills the geometry of v. */
static int parse_bpb(struct fat32 *v, const uint8_t *bs, uint64_t part_sectors)
{
    if (bs[510] != 0x55 || bs[511] != 0xAA)
        return bad("missing 55AA signature");
    if (rd16(bs + 11) != SECTOR)
        return bad("bytes per sector is not 512");
    uint32_t spc = bs[13];
    if (spc == 0 || (spc & (spc - 1)) != 0)
        return bad("sectors per cluster is not a power of two");
    v->spc = spc;
    v->cluster_bytes = spc * SECTOR;
    v->reserved = rd16(bs + 14);
    v->nfats = bs[16];
    if (v->reserved == 0 || v->nfats == 0 || v->nfats > 4)
        return bad("invalid reserved sector or FAT count");
    if (rd16(bs + 17) != 0 || rd16(bs + 22) != 0)
        return bad("not FAT32 (FAT12/16 layout)");
    v->fat_sectors = rd32(bs + 36);
    uint32_t total = rd16(bs + 19) ? rd16(bs + 19) : rd32(bs + 32);
    if (v->fat_sectors == 0 || total == 0)
        return bad("zero FAT size or sector count");
    if (total > part_sectors)
        return bad("volume larger than its partition");
    if (rd16(bs + 42) != 0)
        return bad("unsupported FAT32 version");
    uint64_t data = (uint64_t)v->reserved + (uint64_t)v->nfats * v->fat_sectors;
    if (data >= total)
        return bad("FATs extend past the end of the volume");
    v->data_sector = (uint32_t)data;
    v->clusters = (uint32_t)((total - data) / spc);
    /* The FAT must have an entry for every cluster (plus the two reserved). */
    if ((uint64_t)v->fat_sectors * (SECTOR / 4) < (uint64_t)v->clusters + 2)
        return bad("FAT too small for the volume");
    if (v->clusters > 0x0FFFFFF5u - 2)
        return bad("too many clusters");
    v->root_cluster = rd32(bs + 44);
    if (!fat_cluster_valid(v, v->root_cluster))
        return bad("root directory cluster out of range");
    v->fsinfo_sector = rd16(bs + 48);
    if (v->fsinfo_sector == 0 || v->fsinfo_sector == 0xFFFF || v->fsinfo_sector >= v->reserved)
        v->fsinfo_sector = 0;
    if (bs[66] == 0x29) {
        memcpy(v->label, bs + 71, 11);
        v->label[11] = 0;
        for (int i = 10; i >= 0 && v->label[i] == ' '; i--)
            v->label[i] = 0;
    } else {
        v->label[0] = 0;
    }
    return 0;
}

int fat32_mount(struct fat32 *v, struct blockdev *dev, uint64_t lba, uint64_t sectors)
{
    uint8_t bs[SECTOR];
    memset(v, 0, sizeof *v);
    v->dev = dev;
    v->lba0 = lba;
    v->fat_cache_first = UINT32_MAX;
    int r = fat32_io(v, 0, 0, 1, bs);
    if (r == 0)
        r = parse_bpb(v, bs, sectors);
    if (r != 0)
        return r;
    v->scratch = kaligned_alloc_lasting(16, v->cluster_bytes);   /* kept while mounted */
    if (!v->scratch)
        return fs_fail(FS_ENOMEM, "no memory for a %u-byte cluster buffer", (unsigned)v->cluster_bytes);
    /* Count free clusters ourselves: FSInfo is only a hint and may be stale. */
    r = fat_count_free(v);
    if (r == 0 && v->fsinfo_sector) {
        r = fat32_io(v, 0, v->fsinfo_sector, 1, bs);
        if (r == 0 && rd32(bs) == FSINFO_LEAD && rd32(bs + 484) == FSINFO_STRUCT)
            v->fsinfo_dirty = rd32(bs + 488) != v->free_clusters;
        else if (r == 0)
            v->fsinfo_sector = 0;   /* no valid FSInfo: leave that sector alone */
    }
    if (r != 0) {
        kfree(v->scratch);
        v->scratch = NULL;
    }
    return r;
}

static int write_fsinfo(struct fat32 *v)
{
    uint8_t s[SECTOR];
    int r = fat32_io(v, 0, v->fsinfo_sector, 1, s);
    if (r != 0)
        return r;
    wr32(s + 488, v->free_clusters);
    wr32(s + 492, v->next_free);
    wr32(s + 508, FSINFO_TRAIL);
    return fat32_io(v, 1, v->fsinfo_sector, 1, s);
}

int fat32_sync(struct fat32 *v)
{
    int r = fat_flush(v);
    if (r == 0 && v->fsinfo_dirty && v->fsinfo_sector) {
        r = write_fsinfo(v);
        if (r == 0)
            v->fsinfo_dirty = 0;
    }
    if (r == 0 && v->dev->flush && v->dev->flush(v->dev) != 0)
        r = fs_fail(FS_EIO, "%s", v->dev->error);
    return r;
}
