/* FAT32 internals shared by the files of kernel/fs: the mounted volume, the
 * cluster-chain table, directory entries and long-name handling. Only fs.c and
 * the fat32_*.c files include this; everything else uses fs.h. */
#ifndef FS_FAT32_H
#define FS_FAT32_H

#include <stdint.h>
#include <stddef.h>
#include "fs/fs.h"
#include "fs/fs_error.h"
#include "drivers/blockdev.h"

#define SECTOR 512u
#define FAT_EOC 0x0FFFFFFFu        /* value written to end a chain */
#define FAT_CACHE_SECTORS 8u       /* FAT window kept in memory */
#define DIR_MAX_ENTRIES 65536u     /* FAT limit on entries per directory */

#define ATTR_RO     0x01
#define ATTR_HIDDEN 0x02
#define ATTR_SYSTEM 0x04
#define ATTR_VOLUME 0x08
#define ATTR_DIR    0x10
#define ATTR_ARCH   0x20
#define ATTR_LFN    0x0F

struct fat_dirent {               /* on-disk 32-byte short entry */
    uint8_t name[11];
    uint8_t attr;
    uint8_t ntres;
    uint8_t ctime_tenth;
    uint16_t ctime, cdate, adate;
    uint16_t cluster_hi;
    uint16_t mtime, mdate;
    uint16_t cluster_lo;
    uint32_t size;
} __attribute__((packed));

struct fat32 {
    struct blockdev *dev;
    uint64_t lba0;                /* partition start on the device */
    uint32_t spc;                 /* sectors per cluster */
    uint32_t cluster_bytes;
    uint32_t reserved;            /* sectors before the first FAT */
    uint32_t nfats;
    uint32_t fat_sectors;         /* per copy */
    uint32_t root_cluster;
    uint32_t data_sector;         /* first data sector, partition-relative */
    uint32_t clusters;            /* valid cluster numbers: 2 .. clusters+1 */
    uint32_t fsinfo_sector;       /* 0 when the volume has none */
    uint32_t free_clusters;
    uint32_t next_free;
    int fsinfo_dirty;
    uint32_t fat_cache_first;     /* first FAT sector in the cache, or UINT32_MAX */
    int fat_cache_dirty;
    uint8_t fat_cache[FAT_CACHE_SECTORS * SECTOR];
    uint8_t *scratch;             /* one cluster */
    char label[12];
};

/* A directory entry found by a scan: the short entry, its long name (or the
 * 8.3 name made readable) and where its slots are. */
struct fat_found {
    struct fat_dirent de;
    char name[256];
    uint32_t first_slot;          /* first LFN slot (== short slot without LFN) */
    uint32_t short_slot;          /* index of the short entry in the directory */
    uint32_t sector;              /* partition-relative sector of the short entry */
    uint32_t offset;              /* byte offset of the short entry in that sector */
};

/* fat32_mount.c */
int fat32_mount(struct fat32 *v, struct blockdev *dev, uint64_t lba, uint64_t sectors);
int fat32_sync(struct fat32 *v);   /* FAT cache, FSInfo, device cache to disk */
int fat32_io(struct fat32 *v, int write, uint32_t sector, uint32_t count, void *buf);
uint32_t fat32_cluster_sector(const struct fat32 *v, uint32_t cluster);

/* fat32_table.c */
int fat_get(struct fat32 *v, uint32_t cluster, uint32_t *value);   /* raw entry, 28 bits */
int fat_set(struct fat32 *v, uint32_t cluster, uint32_t value);
int fat_next(struct fat32 *v, uint32_t cluster, uint32_t *next); /* 0 at chain end */
int fat_alloc(struct fat32 *v, uint32_t prev, uint32_t *out);   /* links prev -> new */
int fat_free_chain(struct fat32 *v, uint32_t first);
int fat_count_free(struct fat32 *v);
/* The cached FAT entries from `cluster` on: *entry points at its 4 bytes,
 * *count entries follow in the same window (valid until the next FAT call
 * that moves the window; fat_set inside it does not). */
int fat_window(struct fat32 *v, uint32_t cluster, uint8_t **entry, uint32_t *count);
int fat_flush(struct fat32 *v);
int fat_cluster_valid(const struct fat32 *v, uint32_t c);

/* fat32_recover.c: what a power cut in the middle of a change can leave,
 * repaired at mount (see docs/storage.md). */
struct fat_recovery {
    uint32_t fat_sectors_copied;  /* FAT sectors that differed between copies */
    uint32_t lost_reclaimed;      /* allocated clusters no entry referenced */
    uint32_t orphans_dropped;     /* long-name slots without their short entry */
    int damaged;                  /* the tree has real damage: nothing freed */
};
int fat32_recover(struct fat32 *v, struct fat_recovery *rep);

/* fat32_name.c */
int fat_name_valid(const char *name);
uint8_t fat_lfn_checksum(const uint8_t short_name[11]);
void fat_short_to_text(const struct fat_dirent *de, char *out);
int fat_name_equal(const char *a, const char *b);     /* ASCII, case-insensitive */
/* Make the 8.3 basis for `name`; returns 1 if a numeric tail is needed. */
int fat_short_basis(const char *name, uint8_t out[11]);
void fat_short_with_tail(const uint8_t basis[11], uint32_t n, uint8_t out[11]);
int fat_needs_lfn(const char *name, const uint8_t short_name[11]);

/* fat32_dir.c */
struct fat_dir_iter {
    struct fat32 *v;
    uint32_t first;               /* first cluster of the directory */
    uint32_t cluster;             /* cluster holding `slot` */
    uint32_t slot;                /* next slot to read */
    uint32_t sector;              /* sector held in buf, or UINT32_MAX */
    uint32_t loop_mark;           /* Brent's cycle check on the directory's chain: */
    uint32_t loop_steps, loop_power;  /* a cluster seen again is a loop */
    uint8_t buf[SECTOR];
};
void fat_dir_begin(struct fat_dir_iter *it, struct fat32 *v, uint32_t first_cluster);
int fat_dir_next(struct fat_dir_iter *it, struct fat_found *f);  /* 1, 0 end, <0 */
int fat_dir_find(struct fat32 *v, uint32_t dir, const char *name, struct fat_found *f);
int fat_dir_add(struct fat32 *v, uint32_t dir, const char *name, uint8_t attr,
                uint32_t first_cluster, uint32_t size, struct fat_found *out);
/* Mark VFAT long-name slots that belong to no short entry as free (what an
 * entry creation cut short leaves); *dropped counts them. */
int fat_dir_drop_orphans(struct fat32 *v, uint32_t dir, uint32_t *dropped);
int fat_dir_remove(struct fat32 *v, uint32_t dir, const struct fat_found *f);
int fat_dir_is_empty(struct fat32 *v, uint32_t dir);
int fat_dir_update(struct fat32 *v, const struct fat_found *f);  /* rewrite short entry */
uint32_t fat_entry_cluster(const struct fat_dirent *de);
void fat_entry_set_cluster(struct fat_dirent *de, uint32_t c);
/* Set the modified (and with `created`, creation) time to now. */
void fat_entry_stamp(struct fat_dirent *de, int created);
void fat_time_decode(uint16_t date, uint16_t time, struct fs_time *t);

/* fat32_file.c: data of one chain, `size` bytes long */
struct fat_chain_pos {
    uint32_t first;               /* first cluster, 0 for an empty file */
    uint32_t size;
    uint32_t cur_index;           /* cluster index within the chain of cur */
    uint32_t cur;                 /* that cluster, 0 when not known */
};
long fat_chain_read(struct fat32 *v, struct fat_chain_pos *c, uint32_t pos, void *buf, size_t n);
long fat_chain_write(struct fat32 *v, struct fat_chain_pos *c, uint32_t pos, const void *buf, size_t n);
int fat_chain_truncate(struct fat32 *v, struct fat_chain_pos *c, uint32_t size);
/* Write n bytes into free clusters and link them into a chain in the FAT
 * cache (*first = 0 when n is 0); no directory entry points at it yet. */
int fat_chain_create(struct fat32 *v, const void *data, size_t n, uint32_t *first);

#endif
