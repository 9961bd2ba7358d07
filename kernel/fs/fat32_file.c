/* File data on FAT32: reading, writing and truncating a cluster chain, and
 * building a whole new chain that no entry references yet (the first half of
 * an atomic file replacement, see fs.c). Whole clusters move straight between
 * the disk and the caller's buffer, merging consecutive clusters into one
 * device request (this is what makes loading a model fast). */
#include "fs/fat32.h"
#include "lib/string.h"

/* Find the cluster with index `idx` in the chain, walking on from the last
 * position used. With `grow`, missing clusters are allocated. */
static int seek_cluster(struct fat32 *v, struct fat_chain_pos *c, uint32_t idx, int grow, uint32_t *out)
{
    int r;
    if (c->first == 0) {
        if (!grow)
            return fs_fail(FS_ECORRUPT, "file has a size but no clusters");
        r = fat_alloc(v, 0, &c->first);
        if (r != 0)
            return r;
    }
    if (!fat_cluster_valid(v, c->first))
        return fs_fail(FS_ECORRUPT, "bad cluster chain: first cluster %u out of range", (unsigned)c->first);
    if (c->cur == 0 || c->cur_index > idx) {
        c->cur = c->first;
        c->cur_index = 0;
    }
    while (c->cur_index < idx) {
        uint32_t next;
        r = fat_next(v, c->cur, &next);
        if (r != 0)
            return r;
        if (next == 0) {
            if (!grow)
                return fs_fail(FS_ECORRUPT, "bad cluster chain: ends after %u clusters, file needs more",
                               (unsigned)c->cur_index + 1);
            r = fat_alloc(v, c->cur, &next);
            if (r != 0)
                return r;
        }
        c->cur = next;
        c->cur_index++;
    }
    *out = c->cur;
    return 0;
}

/* Move a part of one cluster through the scratch buffer, whole sectors at a time. */
static int partial_io(struct fat32 *v, int write, uint32_t cluster, uint32_t off, void *data, uint32_t len)
{
    uint32_t s0 = off / SECTOR, s1 = (off + len - 1) / SECTOR;
    uint32_t sector = fat32_cluster_sector(v, cluster) + s0;
    uint8_t *at = v->scratch + off % SECTOR;
    int r = fat32_io(v, 0, sector, s1 - s0 + 1, v->scratch);
    if (r != 0)
        return r;
    if (!write) {
        memcpy(data, at, len);
        return 0;
    }
    memcpy(at, data, len);
    return fat32_io(v, 1, sector, s1 - s0 + 1, v->scratch);
}

long fat_chain_read(struct fat32 *v, struct fat_chain_pos *c, uint32_t pos, void *buf, size_t n)
{
    if (pos >= c->size)
        return 0;
    if (n > c->size - pos)
        n = c->size - pos;
    uint8_t *out = buf;
    size_t done = 0;
    uint32_t cb = v->cluster_bytes;
    while (done < n) {
        uint32_t cluster, off = pos % cb;
        int r = seek_cluster(v, c, pos / cb, 0, &cluster);
        if (r != 0)
            return r;
        size_t left = n - done;
        if (off == 0 && left >= cb) {
            /* Extend over physically consecutive clusters. */
            uint32_t run = 1, last = cluster;
            while ((size_t)(run + 1) * cb <= left) {
                uint32_t next;
                r = fat_next(v, last, &next);
                if (r != 0)
                    return r;
                if (next != last + 1)
                    break;
                last = next;
                run++;
            }
            r = fat32_io(v, 0, fat32_cluster_sector(v, cluster), run * v->spc, out + done);
            if (r != 0)
                return r;
            c->cur = last;
            c->cur_index += run - 1;
            done += (size_t)run * cb;
            pos += run * cb;
        } else {
            uint32_t len = left < cb - off ? (uint32_t)left : cb - off;
            r = partial_io(v, 0, cluster, off, out + done, len);
            if (r != 0)
                return r;
            done += len;
            pos += len;
        }
    }
    return (long)done;
}

long fat_chain_write(struct fat32 *v, struct fat_chain_pos *c, uint32_t pos, const void *buf, size_t n)
{
    uint32_t cb = v->cluster_bytes;
    if (pos > c->size)
        return fs_fail(FS_EINVAL, "write position beyond the end of the file");
    if ((uint64_t)pos + n > 0xFFFFFFFFu)
        return fs_fail(FS_EFBIG, "a FAT32 file cannot reach %llu bytes", (unsigned long long)pos + n);
    /* Refuse up front rather than leave a half-written file behind. */
    uint64_t have = ((uint64_t)c->size + cb - 1) / cb;
    uint64_t want = ((uint64_t)pos + n + cb - 1) / cb;
    if (want > have && want - have > v->free_clusters)
        return fs_fail(FS_ENOSPC, "needs %llu more clusters, %u free",
                       (unsigned long long)(want - have), (unsigned)v->free_clusters);
    const uint8_t *in = buf;
    size_t done = 0;
    while (done < n) {
        uint32_t cluster, off = pos % cb;
        int r = seek_cluster(v, c, pos / cb, 1, &cluster);
        if (r != 0)
            return r;
        uint32_t len = n - done < cb - off ? (uint32_t)(n - done) : cb - off;
        if (off == 0 && len == cb) {
            /* Whole clusters: take in the following ones while they are
             * physically consecutive (new ones usually are) and write them
             * all in one request. */
            uint32_t run = 1, next;
            while ((size_t)(run + 1) * cb <= n - done) {
                r = seek_cluster(v, c, pos / cb + run, 1, &next);
                if (r != 0)
                    return r;
                if (next != cluster + run)
                    break;
                run++;
            }
            len = run * cb;
            r = fat32_io(v, 1, fat32_cluster_sector(v, cluster), run * v->spc, (void *)(in + done));
        } else if (off % SECTOR == 0 && len % SECTOR == 0) {
            r = fat32_io(v, 1, fat32_cluster_sector(v, cluster) + off / SECTOR, len / SECTOR, (void *)(in + done));
        } else {
            r = partial_io(v, 1, cluster, off, (void *)(in + done), len);
        }
        if (r != 0)
            return r;
        done += len;
        pos += len;
        if (pos > c->size)
            c->size = pos;
    }
    return (long)done;
}

int fat_chain_truncate(struct fat32 *v, struct fat_chain_pos *c, uint32_t size)
{
    if (size > c->size)
        return fs_fail(FS_EINVAL, "truncate can only shrink a file");
    uint32_t keep = (uint32_t)(((uint64_t)size + v->cluster_bytes - 1) / v->cluster_bytes);
    int r = 0;
    if (keep == 0) {
        if (c->first)
            r = fat_free_chain(v, c->first);
        c->first = 0;
    } else {
        uint32_t last, rest;
        r = seek_cluster(v, c, keep - 1, 0, &last);
        if (r == 0)
            r = fat_next(v, last, &rest);
        if (r == 0)
            r = fat_set(v, last, FAT_EOC);
        if (r == 0 && rest)
            r = fat_free_chain(v, rest);
    }
    c->cur = 0;
    if (r == 0)
        c->size = size;
    return r;
}

/* The next free cluster at or after `from` (wrapping once); 0 if none. */
static int next_free_cluster(struct fat32 *v, uint32_t from, uint32_t *out)
{
    uint32_t c = fat_cluster_valid(v, from) ? from : 2;
    for (uint32_t tries = 0; tries < v->clusters; tries++) {
        uint32_t x;
        int r = fat_get(v, c, &x);
        if (r != 0)
            return r;
        if (x == 0) {
            *out = c;
            return 0;
        }
        c = c + 1 < v->clusters + 2 ? c + 1 : 2;
    }
    *out = 0;
    return 0;
}

int fat_chain_create(struct fat32 *v, const void *data, size_t n, uint32_t *first)
{
    uint32_t cb = v->cluster_bytes;
    *first = 0;
#if SIZE_MAX > 0xFFFFFFFFu
    if (n > 0xFFFFFFFFu)
        return fs_fail(FS_EFBIG, "a FAT32 file cannot reach %llu bytes", (unsigned long long)n);
#endif
    uint32_t need = (uint32_t)(((uint64_t)n + cb - 1) / cb);
    if (need == 0)
        return 0;
    if (need > v->free_clusters)
        return fs_fail(FS_ENOSPC, "needs %u clusters, %u free", (unsigned)need, (unsigned)v->free_clusters);
    /* Pass 1: the data goes into free clusters. Nothing on the disk points at
     * them yet, so a power cut here changes nothing anyone can see. */
    const uint8_t *in = data;
    uint32_t c = v->next_free, start = 0;
    for (uint32_t i = 0; i < need;) {
        int r = next_free_cluster(v, c, &c);
        if (r != 0)
            return r;
        if (c == 0)
            return fs_fail(FS_ENOSPC, "no free clusters left");
        if (i == 0)
            start = c;
        /* Physically consecutive free clusters are written in one request. */
        uint32_t run = 1, x;
        while (i + run < need && c + run < v->clusters + 2 && (r = fat_get(v, c + run, &x)) == 0 && x == 0)
            run++;
        if (r != 0)
            return r;
        size_t at = (size_t)i * cb, len = (size_t)run * cb;
        if (i + run == need && n - at < len) {
            /* The last cluster is partly used: pad it from scratch. */
            uint32_t whole = run - 1;
            if (whole) {
                r = fat32_io(v, 1, fat32_cluster_sector(v, c), whole * v->spc, (void *)(in + at));
                if (r != 0)
                    return r;
            }
            memset(v->scratch, 0, cb);
            memcpy(v->scratch, in + at + (size_t)whole * cb, n - at - (size_t)whole * cb);
            r = fat32_io(v, 1, fat32_cluster_sector(v, c + whole), v->spc, v->scratch);
        } else {
            r = fat32_io(v, 1, fat32_cluster_sector(v, c), run * v->spc, (void *)(in + at));
        }
        if (r != 0)
            return r;
        i += run;
        c += run;
    }
    /* Pass 2: the same free clusters, found again in the same order, are
     * linked in the FAT. Every entry written here was free and nothing
     * references the chain, so a cut part-way leaves unreferenced clusters
     * that the next mount reclaims (fat32_recover.c), never a broken file. */
    c = start;
    uint32_t last = start;
    for (uint32_t i = 0; i < need; i++) {
        uint32_t next = 0;
        last = c;
        int r = 0;
        if (i + 1 < need)
            r = next_free_cluster(v, c + 1, &next);
        if (r == 0)
            r = fat_set(v, c, next ? next : FAT_EOC);
        if (r != 0)
            return r;
        c = next;
    }
    v->free_clusters -= need;
    v->next_free = last + 1 < v->clusters + 2 ? last + 1 : 2;
    v->fsinfo_dirty = 1;
    *first = start;
    return 0;
}
