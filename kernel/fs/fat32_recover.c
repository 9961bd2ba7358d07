/* Repair at mount of what a power cut in the middle of a change can leave.
 *
 * Every change the driver makes is ordered so that a cut at any moment leaves
 * at most these three kinds of leftover (docs/storage.md has the argument):
 *   - FAT copies that differ: copy 1 is always written before the others, and
 *     every state of copy 1 is one of the states below, so copy 1 wins;
 *   - clusters allocated in the FAT that no entry references (a new chain not
 *     yet switched in, an old chain not yet freed): they are freed;
 *   - long-name slots whose short entry was not yet written: they are freed.
 * Those are exactly the findings fsck.fat would fix, repaired the same way.
 * Anything else (a chain through a free cluster, two entries sharing a
 * cluster, a chain shorter or longer than its file) is real damage: then
 * nothing is written at all, because a repair on a tree we do not
 * understand could destroy data (and fs.c mounts the volume read-only). */
#include "fs/fat32.h"
#include "lib/string.h"
#include "lib/memory.h"

#define FAT_BAD 0x0FFFFFF7u

struct walk {
    struct fat32 *v;
    uint8_t *owned;          /* one bit per cluster number: referenced by the tree */
    uint32_t *dirs;          /* first clusters of the directories found */
    uint32_t ndirs, cap;
    struct fat_recovery *rep;
};

/* Note real damage and what it is (what == NULL keeps the detail the FAT
 * code recorded); returns 0: the walk stops at its next check. */
static int damage(struct walk *w, const char *what, uint32_t cluster)
{
    if (what)
        fs_fail(FS_ECORRUPT, "%s at cluster %u", what, (unsigned)cluster);
    w->rep->damaged = 1;
    return 0;
}

/* Copy FAT 1 over every other copy wherever they differ. */
static int sync_fat_copies(struct fat32 *v, uint32_t *copied)
{
    if (v->nfats < 2)
        return 0;
    uint8_t *other = kmalloc(FAT_CACHE_SECTORS * SECTOR);
    if (!other)
        return fs_fail(FS_ENOMEM, "no memory to compare the FAT copies");
    int r = fat_flush(v);
    v->fat_cache_first = UINT32_MAX;
    for (uint32_t s = 0; r == 0 && s < v->fat_sectors; s += FAT_CACHE_SECTORS) {
        uint32_t n = v->fat_sectors - s < FAT_CACHE_SECTORS ? v->fat_sectors - s : FAT_CACHE_SECTORS;
        r = fat32_io(v, 0, v->reserved + s, n, v->fat_cache);
        for (uint32_t copy = 1; r == 0 && copy < v->nfats; copy++) {
            uint32_t at = v->reserved + copy * v->fat_sectors + s;
            r = fat32_io(v, 0, at, n, other);
            for (uint32_t k = 0; r == 0 && k < n; k++) {
                if (memcmp(v->fat_cache + k * SECTOR, other + k * SECTOR, SECTOR) != 0) {
                    r = fat32_io(v, 1, at + k, 1, v->fat_cache + k * SECTOR);
                    (*copied)++;
                }
            }
        }
    }
    v->fat_cache_first = UINT32_MAX;   /* the cache now holds a stray window */
    kfree(other);
    return r;
}

/* Mark a chain as referenced. A file needs exactly ceil(size / cluster) clusters;
 * a directory runs to its end mark. A cluster seen twice (a loop, or two
 * entries sharing it) is damage, which also bounds the walk. */
static int claim_chain(struct walk *w, uint32_t first, uint32_t size, int is_dir)
{
    struct fat32 *v = w->v;
    if (first == 0)
        return is_dir || size ? damage(w, "an entry with a size but no cluster", 0) : 0;
    uint32_t need = is_dir ? UINT32_MAX : (uint32_t)(((uint64_t)size + v->cluster_bytes - 1) / v->cluster_bytes);
    if (need == 0)
        return damage(w, "an empty file holding a cluster", first);
    uint32_t c = first, count = 0;
    for (;;) {
        if (!fat_cluster_valid(v, c))
            return damage(w, "a chain leaving the volume", c);
        if (w->owned[c / 8] & (1u << c % 8))
            return damage(w, "a cluster used twice (a loop or a cross-link)", c);
        w->owned[c / 8] |= (uint8_t)(1u << c % 8);
        count++;
        uint32_t next;
        int r = fat_next(v, c, &next);
        if (r == FS_ECORRUPT)
            return damage(w, NULL, c);
        if (r != 0)
            return r;
        if (next == 0)
            return count < need && !is_dir ? damage(w, "a chain shorter than its file", first) : 0;
        if (count == need)
            return damage(w, "a chain longer than its file", first);
        c = next;
    }
}

static int add_dir(struct walk *w, uint32_t first)
{
    if (w->ndirs == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 16;
        uint32_t *d = krealloc(w->dirs, cap * sizeof *d);
        if (!d)
            return fs_fail(FS_ENOMEM, "no memory for the directory list");
        w->dirs = d;
        w->cap = cap;
    }
    w->dirs[w->ndirs++] = first;
    return 0;
}

/* Claim every entry of one directory; subdirectories join the list. */
static int walk_dir(struct walk *w, uint32_t dir)
{
    struct fat_dir_iter it;
    struct fat_found f;
    fat_dir_begin(&it, w->v, dir);
    int r;
    while ((r = fat_dir_next(&it, &f)) == 1) {
        if (f.de.name[0] == '.')
            continue;                   /* "." and "..": the directory and its parent */
        uint32_t c = fat_entry_cluster(&f.de);
        int is_dir = (f.de.attr & ATTR_DIR) != 0;
        r = claim_chain(w, c, is_dir ? 0 : f.de.size, is_dir);
        if (r == 0 && is_dir && c && !w->rep->damaged)
            r = add_dir(w, c);
        if (r != 0)
            return r;
    }
    return r == FS_ECORRUPT ? damage(w, NULL, dir) : r;
}

/* Free every allocated cluster that the walk did not reach. */
static int reclaim_lost(struct walk *w)
{
    struct fat32 *v = w->v;
    for (uint32_t c = 2; c < v->clusters + 2;) {
        uint8_t *p;
        uint32_t n;
        int r = fat_window(v, c, &p, &n);
        if (r != 0)
            return r;
        for (uint32_t end = c + n; c < end; c++, p += 4) {
            uint32_t x = ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) & 0x0FFFFFFFu;
            if (x == 0 || x == FAT_BAD || (w->owned[c / 8] & (1u << c % 8)))
                continue;
            r = fat_set(v, c, 0);      /* same window: p stays valid */
            if (r != 0)
                return r;
            v->free_clusters++;
            v->fsinfo_dirty = 1;
            w->rep->lost_reclaimed++;
        }
    }
    return 0;
}

int fat32_recover(struct fat32 *v, struct fat_recovery *rep)
{
    memset(rep, 0, sizeof *rep);
    struct walk w = { .v = v, .rep = rep };
    w.owned = kcalloc(((size_t)v->clusters + 2 + 7) / 8, 1);
    if (!w.owned)
        return fs_fail(FS_ENOMEM, "no memory to check %u clusters", (unsigned)v->clusters);
    int r = claim_chain(&w, v->root_cluster, 0, 1);
    if (r == 0)
        r = add_dir(&w, v->root_cluster);
    for (uint32_t i = 0; r == 0 && !rep->damaged && i < w.ndirs; i++)
        r = walk_dir(&w, w.dirs[i]);
    /* Only a tree that is whole apart from power-cut leftovers is repaired:
     * the walk read FAT copy 1, and found it consistent, so it is the one
     * the others get. */
    if (r == 0 && !rep->damaged)
        r = sync_fat_copies(v, &rep->fat_sectors_copied);
    for (uint32_t i = 0; r == 0 && !rep->damaged && i < w.ndirs; i++)
        r = fat_dir_drop_orphans(v, w.dirs[i], &rep->orphans_dropped);
    if (r == 0 && !rep->damaged)
        r = reclaim_lost(&w);
    kfree(w.owned);
    kfree(w.dirs);
    return r;
}
