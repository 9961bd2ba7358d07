/* The file allocation table: reading and writing entries through a small
 * window cache, allocating and freeing clusters. Every modified FAT sector is
 * written to all FAT copies so they stay identical. */
#include "fs/fat32.h"
#include "lib/string.h"

#define ENTRIES_PER_SECTOR (SECTOR / 4)

int fat_cluster_valid(const struct fat32 *v, uint32_t c)
{
    return c >= 2 && c < v->clusters + 2;
}

int fat_flush(struct fat32 *v)
{
    if (!v->fat_cache_dirty)
        return 0;
    uint32_t n = FAT_CACHE_SECTORS;
    if (v->fat_cache_first + n > v->fat_sectors)
        n = v->fat_sectors - v->fat_cache_first;
    for (uint32_t copy = 0; copy < v->nfats; copy++) {
        uint32_t s = v->reserved + copy * v->fat_sectors + v->fat_cache_first;
        int r = fat32_io(v, 1, s, n, v->fat_cache);
        if (r != 0)
            return r;
    }
    v->fat_cache_dirty = 0;
    return 0;
}

/* Make the cache hold FAT sector `sec`; returns a pointer to the entry slot. */
static int fat_slot(struct fat32 *v, uint32_t cluster, uint8_t **slot)
{
    uint32_t sec = cluster / ENTRIES_PER_SECTOR;
    if (v->fat_cache_first == UINT32_MAX || sec < v->fat_cache_first ||
        sec >= v->fat_cache_first + FAT_CACHE_SECTORS) {
        int r = fat_flush(v);
        if (r != 0)
            return r;
        uint32_t first = sec - sec % FAT_CACHE_SECTORS;
        uint32_t n = FAT_CACHE_SECTORS;
        if (first + n > v->fat_sectors)
            n = v->fat_sectors - first;
        v->fat_cache_first = UINT32_MAX;
        r = fat32_io(v, 0, v->reserved + first, n, v->fat_cache);
        if (r != 0)
            return r;
        v->fat_cache_first = first;
    }
    *slot = v->fat_cache + (cluster - v->fat_cache_first * ENTRIES_PER_SECTOR) * 4;
    return 0;
}

int fat_get(struct fat32 *v, uint32_t cluster, uint32_t *value)
{
    uint8_t *p;
    int r = fat_slot(v, cluster, &p);
    if (r == 0)
        *value = ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) & 0x0FFFFFFFu;
    return r;
}

int fat_set(struct fat32 *v, uint32_t cluster, uint32_t value)
{
    uint8_t *p;
    int r = fat_slot(v, cluster, &p);
    if (r != 0)
        return r;
    /* The top 4 bits are reserved and must be preserved. */
    uint32_t old_top = p[3] & 0xF0u;
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
    p[2] = (uint8_t)(value >> 16);
    p[3] = (uint8_t)(old_top | ((value >> 24) & 0x0F));
    v->fat_cache_dirty = 1;
    return 0;
}

int fat_next(struct fat32 *v, uint32_t cluster, uint32_t *next)
{
    uint32_t x;
    int r = fat_get(v, cluster, &x);
    if (r != 0)
        return r;
    if (x >= 0x0FFFFFF8u) {
        *next = 0;
        return 0;
    }
    if (!fat_cluster_valid(v, x))
        return fs_fail(FS_ECORRUPT, "bad cluster chain: cluster %u -> %s%u", (unsigned)cluster,
                       x == 0 ? "free " : x == 0x0FFFFFF7u ? "bad " : "", (unsigned)x);
    *next = x;
    return 0;
}

int fat_window(struct fat32 *v, uint32_t cluster, uint8_t **entry, uint32_t *count)
{
    int r = fat_slot(v, cluster, entry);
    if (r != 0)
        return r;
    uint32_t end = (v->fat_cache_first + FAT_CACHE_SECTORS) * ENTRIES_PER_SECTOR;
    if (end > v->clusters + 2)
        end = v->clusters + 2;
    *count = end - cluster;
    return 0;
}

int fat_count_free(struct fat32 *v)
{
    uint32_t free = 0, first_free = 0;
    for (uint32_t c = 2; c < v->clusters + 2;) {
        uint8_t *p;
        uint32_t n;
        int r = fat_window(v, c, &p, &n);
        if (r != 0)
            return r;
        for (uint32_t end = c + n; c < end; c++, p += 4) {
            if ((p[0] | p[1] | p[2] | (p[3] & 0x0F)) == 0) {
                if (!first_free)
                    first_free = c;
                free++;
            }
        }
    }
    v->free_clusters = free;
    v->next_free = first_free ? first_free : 2;
    return 0;
}

int fat_alloc(struct fat32 *v, uint32_t prev, uint32_t *out)
{
    if (v->free_clusters == 0)
        return fs_fail(FS_ENOSPC, "no free clusters left");
    uint32_t c = fat_cluster_valid(v, v->next_free) ? v->next_free : 2;
    for (uint32_t tries = 0; tries < v->clusters; tries++) {
        uint32_t x;
        int r = fat_get(v, c, &x);
        if (r != 0)
            return r;
        if (x == 0) {
            r = fat_set(v, c, FAT_EOC);
            if (r == 0 && prev)
                r = fat_set(v, prev, c);
            if (r != 0)
                return r;
            v->free_clusters--;
            v->next_free = c + 1 < v->clusters + 2 ? c + 1 : 2;
            v->fsinfo_dirty = 1;
            *out = c;
            return 0;
        }
        c = c + 1 < v->clusters + 2 ? c + 1 : 2;
    }
    /* The count said there was room but the table has none: it lied. */
    v->free_clusters = 0;
    v->fsinfo_dirty = 1;
    return fs_fail(FS_ENOSPC, "no free clusters left");
}

int fat_free_chain(struct fat32 *v, uint32_t c)
{
    /* Bounded by the cluster count so a looping chain cannot hang us. */
    for (uint32_t steps = 0; c != 0; steps++) {
        if (steps > v->clusters || !fat_cluster_valid(v, c))
            return fs_fail(FS_ECORRUPT, "bad cluster chain while freeing at cluster %u", (unsigned)c);
        uint32_t next;
        int r = fat_next(v, c, &next);
        if (r == FS_ECORRUPT) {
            /* Free what we can reach; the broken link ends the chain. */
            next = 0;
        } else if (r != 0) {
            return r;
        }
        r = fat_set(v, c, 0);
        if (r != 0)
            return r;
        v->free_clusters++;
        v->fsinfo_dirty = 1;
        c = next;
    }
    return 0;
}
