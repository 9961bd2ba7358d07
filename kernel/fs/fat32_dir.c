/* FAT32 directories: walking entries (joining VFAT long-name slots to their
 * short entry), finding a name, adding an entry with its long name and a
 * unique 8.3 alias, removing one, freeing orphaned long-name slots, and the
 * date/time fields. */
#include "fs/fat32.h"
#include "lib/string.h"

#define SLOT_BYTES 32u
#define LFN_CHARS 13

/* Character positions of the 13 UTF-16 units inside a long-name slot. */
static const uint8_t lfn_pos[LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

uint32_t fat_entry_cluster(const struct fat_dirent *de)
{
    return (uint32_t)de->cluster_hi << 16 | de->cluster_lo;
}

void fat_entry_set_cluster(struct fat_dirent *de, uint32_t c)
{
    de->cluster_hi = (uint16_t)(c >> 16);
    de->cluster_lo = (uint16_t)c;
}

void fat_entry_stamp(struct fat_dirent *de, int created)
{
    struct fs_time t;
    fs_clock_now(&t);
    uint16_t y = t.year < 1980 ? 0 : (uint16_t)(t.year - 1980);
    de->mdate = (uint16_t)(y << 9 | t.month << 5 | t.day);
    de->mtime = (uint16_t)(t.hour << 11 | t.minute << 5 | t.second / 2);
    de->adate = de->mdate;
    if (created) {
        de->cdate = de->mdate;
        de->ctime = de->mtime;
    }
}

void fat_time_decode(uint16_t date, uint16_t time, struct fs_time *t)
{
    t->year = (uint16_t)(1980 + (date >> 9));
    t->month = (uint8_t)(date >> 5 & 15);
    t->day = (uint8_t)(date & 31);
    t->hour = (uint8_t)(time >> 11);
    t->minute = (uint8_t)(time >> 5 & 63);
    t->second = (uint8_t)((time & 31) * 2);
}

void fat_dir_begin(struct fat_dir_iter *it, struct fat32 *v, uint32_t first)
{
    it->v = v;
    it->first = first;
    it->cluster = first;
    it->slot = 0;
    it->sector = UINT32_MAX;
    it->loop_mark = first;
    it->loop_steps = 0;
    it->loop_power = 1;
}

/* Point *e at the raw slot it->slot; 1 ok, 0 past the end of the chain. */
static int iter_slot(struct fat_dir_iter *it, uint8_t **e)
{
    struct fat32 *v = it->v;
    uint32_t per_cluster = v->cluster_bytes / SLOT_BYTES;
    if (it->slot >= DIR_MAX_ENTRIES)
        return 0;
    if (it->slot && it->slot % per_cluster == 0) {
        uint32_t next;
        int r = fat_next(v, it->cluster, &next);
        if (r != 0)
            return r;
        if (next == 0)
            return 0;
        /* Brent: compare with a cluster saved at each power of two of steps,
         * so a loop is found within twice its length, in constant memory. */
        if (next == it->loop_mark)
            return fs_fail(FS_ECORRUPT, "bad cluster chain: the directory at cluster %u loops",
                           (unsigned)it->first);
        if (++it->loop_steps == it->loop_power) {
            it->loop_mark = next;
            it->loop_power *= 2;
            it->loop_steps = 0;
        }
        it->cluster = next;
    }
    uint32_t in_cluster = it->slot % per_cluster;
    uint32_t sector = fat32_cluster_sector(v, it->cluster) + in_cluster / (SECTOR / SLOT_BYTES);
    if (sector != it->sector) {
        it->sector = UINT32_MAX;
        int r = fat32_io(v, 0, sector, 1, it->buf);
        if (r != 0)
            return r;
        it->sector = sector;
    }
    *e = it->buf + (in_cluster % (SECTOR / SLOT_BYTES)) * SLOT_BYTES;
    return 1;
}

int fat_dir_next(struct fat_dir_iter *it, struct fat_found *f)
{
    uint16_t lfn[LFN_CHARS * 20 + 1];
    int lfn_expect = 0;          /* next sequence number wanted; 0 = none pending */
    uint8_t lfn_sum = 0;
    uint32_t lfn_first = 0;
    for (;; it->slot++) {
        uint8_t *e;
        int r = iter_slot(it, &e);
        if (r <= 0)
            return r;
        if (e[0] == 0)
            return 0;
        if (e[0] == 0xE5) {
            lfn_expect = 0;
            continue;
        }
        if ((e[11] & 0x3F) == ATTR_LFN) {
            int seq = e[0] & 0x1F;
            if (e[0] & 0x40) {
                lfn_expect = seq;
                lfn_sum = e[13];
                lfn_first = it->slot;
                memset(lfn, 0, sizeof lfn);
            }
            if (seq == 0 || seq > 20 || seq != lfn_expect || e[13] != lfn_sum) {
                lfn_expect = 0;
                continue;
            }
            for (int i = 0; i < LFN_CHARS; i++)
                lfn[(seq - 1) * LFN_CHARS + i] = (uint16_t)(e[lfn_pos[i]] | e[lfn_pos[i] + 1] << 8);
            lfn_expect = seq - 1;
            if (lfn_expect == 0)
                lfn_expect = -1;     /* complete: the short entry must follow */
            continue;
        }
        if (e[11] & ATTR_VOLUME) {
            lfn_expect = 0;
            continue;
        }
        memcpy(&f->de, e, sizeof f->de);
        f->short_slot = it->slot;
        f->sector = it->sector;
        f->offset = (uint32_t)(e - it->buf);
        if (lfn_expect == -1 && lfn_sum == fat_lfn_checksum(f->de.name)) {
            int n = 0;
            for (; n < 255 && lfn[n] && lfn[n] != 0xFFFF; n++)
                f->name[n] = lfn[n] < 0x80 ? (char)lfn[n] : '?';
            f->name[n] = 0;
            f->first_slot = lfn_first;
        } else {
            fat_short_to_text(&f->de, f->name);
            f->first_slot = it->slot;
        }
        it->slot++;
        return 1;
    }
}

int fat_dir_find(struct fat32 *v, uint32_t dir, const char *name, struct fat_found *f)
{
    struct fat_dir_iter it;
    fat_dir_begin(&it, v, dir);
    int r;
    while ((r = fat_dir_next(&it, f)) == 1) {
        char alias[13];
        fat_short_to_text(&f->de, alias);
        if (fat_name_equal(f->name, name) || fat_name_equal(alias, name))
            return 0;
    }
    return r < 0 ? r : FS_ENOENT;
}

/* Is `s` already used as a short name in the directory? 1 yes, 0 no, <0 error */
static int short_taken(struct fat32 *v, uint32_t dir, const uint8_t s[11])
{
    struct fat_dir_iter it;
    struct fat_found f;
    fat_dir_begin(&it, v, dir);
    int r;
    while ((r = fat_dir_next(&it, &f)) == 1)
        if (memcmp(f.de.name, s, 11) == 0)
            return 1;
    return r;
}

static int pick_alias(struct fat32 *v, uint32_t dir, const char *name, uint8_t out[11])
{
    uint8_t basis[11];
    int r;
    if (!fat_short_basis(name, basis)) {
        memcpy(out, basis, 11);
        r = short_taken(v, dir, out);
        if (r <= 0)
            return r;
    }
    for (uint32_t n = 1; n < 1000000; n++) {
        fat_short_with_tail(basis, n, out);
        r = short_taken(v, dir, out);
        if (r <= 0)
            return r;
    }
    return fs_fail(FS_ENOSPC, "no unique short name left for \"%s\"", name);
}

/* Sector and byte offset of directory slot `slot`. */
static int slot_location(struct fat32 *v, uint32_t dir, uint32_t slot, uint32_t *sector, uint32_t *offset)
{
    uint32_t per_cluster = v->cluster_bytes / SLOT_BYTES;
    uint32_t c = dir;
    for (uint32_t i = slot / per_cluster; i > 0; i--) {
        int r = fat_next(v, c, &c);
        if (r != 0)
            return r;
        if (c == 0)
            return fs_fail(FS_ECORRUPT, "directory chain shorter than its entries");
    }
    uint32_t in_cluster = slot % per_cluster;
    *sector = fat32_cluster_sector(v, c) + in_cluster / (SECTOR / SLOT_BYTES);
    *offset = (in_cluster % (SECTOR / SLOT_BYTES)) * SLOT_BYTES;
    return 0;
}

/* Replaces n bytes at `offset` of one sector: read, change, write back. */
static int patch_sector(struct fat32 *v, uint32_t sector, uint32_t offset, const void *bytes, size_t n)
{
    uint8_t buf[SECTOR];
    int r = fat32_io(v, 0, sector, 1, buf);
    if (r != 0)
        return r;
    memcpy(buf + offset, bytes, n);
    return fat32_io(v, 1, sector, 1, buf);
}

/* Replaces the first n bytes of entry slot `slot` of directory `dir`. */
static int patch_slot(struct fat32 *v, uint32_t dir, uint32_t slot, const void *bytes, size_t n)
{
    uint32_t sector, offset;
    int r = slot_location(v, dir, slot, &sector, &offset);
    return r != 0 ? r : patch_sector(v, sector, offset, bytes, n);
}

static int zero_cluster(struct fat32 *v, uint32_t c)
{
    memset(v->scratch, 0, v->cluster_bytes);
    return fat32_io(v, 1, fat32_cluster_sector(v, c), v->spc, v->scratch);
}

/* Find `n` consecutive free slots, growing the directory if needed. */
static int find_free_run(struct fat32 *v, uint32_t dir, uint32_t n, uint32_t *start)
{
    struct fat_dir_iter it;
    fat_dir_begin(&it, v, dir);
    uint32_t run = 0;
    uint32_t last_cluster = dir;
    for (;; it.slot++) {
        uint8_t *e;
        int r = iter_slot(&it, &e);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        last_cluster = it.cluster;
        run = (e[0] == 0 || e[0] == 0xE5) ? run + 1 : 0;
        if (run == n) {
            *start = it.slot + 1 - n;
            return 0;
        }
    }
    uint32_t per_cluster = v->cluster_bytes / SLOT_BYTES;
    uint32_t need = (n - run + per_cluster - 1) / per_cluster;
    if (it.slot + need * per_cluster > DIR_MAX_ENTRIES)
        return fs_fail(FS_ENOSPC, "directory is full (%u entries)", (unsigned)DIR_MAX_ENTRIES);
    if (need > v->free_clusters)
        return fs_fail(FS_ENOSPC, "no free cluster to grow the directory");
    for (uint32_t i = 0; i < need; i++) {
        uint32_t c;
        int r = fat_alloc(v, last_cluster, &c);
        if (r == 0)
            r = zero_cluster(v, c);
        if (r != 0)
            return r;
        last_cluster = c;
    }
    /* The new clusters are zeroed and linked in both FAT copies before any
     * entry is written into them. */
    int r = fat32_sync(v);
    if (r != 0)
        return r;
    *start = it.slot - run;
    return 0;
}

int fat_dir_add(struct fat32 *v, uint32_t dir, const char *name, uint8_t attr,
                uint32_t first_cluster, uint32_t size, struct fat_found *out)
{
    if (!fat_name_valid(name))
        return fs_fail(FS_EINVAL, "invalid file name \"%s\"", name);
    uint8_t s[11];
    int r = pick_alias(v, dir, name, s);
    if (r != 0)
        return r;
    size_t len = strlen(name);
    uint32_t lfn_slots = fat_needs_lfn(name, s) ? (uint32_t)((len + LFN_CHARS - 1) / LFN_CHARS) : 0;
    uint32_t start = 0;
    r = find_free_run(v, dir, lfn_slots + 1, &start);
    if (r != 0)
        return r;
    uint8_t sum = fat_lfn_checksum(s);
    /* Long-name slots go in reverse order: the last piece comes first. The
     * short entry is written last: until then the slots are orphans that
     * any reader skips and the next mount frees. */
    for (uint32_t k = 0; k < lfn_slots; k++) {
        uint32_t seq = lfn_slots - k;
        uint8_t e[SLOT_BYTES];
        memset(e, 0, sizeof e);
        e[0] = (uint8_t)(seq | (k == 0 ? 0x40 : 0));
        e[11] = ATTR_LFN;
        e[13] = sum;
        for (int i = 0; i < LFN_CHARS; i++) {
            size_t at = (seq - 1) * LFN_CHARS + (size_t)i;
            uint16_t ch = at < len ? (uint8_t)name[at] : at == len ? 0 : 0xFFFF;
            e[lfn_pos[i]] = (uint8_t)ch;
            e[lfn_pos[i] + 1] = (uint8_t)(ch >> 8);
        }
        r = patch_slot(v, dir, start + k, e, SLOT_BYTES);
        if (r != 0)
            return r;
    }
    struct fat_dirent *de = &out->de;
    memset(de, 0, sizeof *de);
    memcpy(de->name, s, 11);
    de->attr = attr;
    fat_entry_stamp(de, 1);
    fat_entry_set_cluster(de, first_cluster);
    de->size = size;
    out->first_slot = start;
    out->short_slot = start + lfn_slots;
    memcpy(out->name, name, len + 1);
    r = slot_location(v, dir, out->short_slot, &out->sector, &out->offset);
    if (r == 0)
        r = patch_sector(v, out->sector, out->offset, de, SLOT_BYTES);
    return r;
}

int fat_dir_update(struct fat32 *v, const struct fat_found *f)
{
    return patch_sector(v, f->sector, f->offset, &f->de, SLOT_BYTES);
}

int fat_dir_remove(struct fat32 *v, uint32_t dir, const struct fat_found *f)
{
    static const uint8_t deleted = 0xE5; /* first name byte of a free slot */
    for (uint32_t slot = f->first_slot; slot <= f->short_slot; slot++) {
        int r = patch_slot(v, dir, slot, &deleted, 1);
        if (r != 0)
            return r;
    }
    return 0;
}

int fat_dir_is_empty(struct fat32 *v, uint32_t dir)
{
    struct fat_dir_iter it;
    struct fat_found f;
    fat_dir_begin(&it, v, dir);
    int r;
    while ((r = fat_dir_next(&it, &f)) == 1)
        if (strcmp(f.name, ".") != 0 && strcmp(f.name, "..") != 0)
            return 0;
    return r < 0 ? r : 1;
}

/* Does the run of long-name slots [first, first + count) end in a complete
 * sequence N..1 with one checksum that matches the short entry `e`? */
static int lfn_run_matches(const uint8_t *seqs, const uint8_t *sums, uint32_t count, const uint8_t *e)
{
    if (count == 0 || count > 20 || (seqs[0] & 0x40) == 0 || (seqs[0] & 0x1F) != count)
        return 0;
    uint8_t sum = fat_lfn_checksum(e);
    for (uint32_t k = 0; k < count; k++)
        if ((seqs[k] & 0x1F) != count - k || sums[k] != sum || (k > 0 && (seqs[k] & 0x40)))
            return 0;
    return 1;
}

int fat_dir_drop_orphans(struct fat32 *v, uint32_t dir, uint32_t *dropped)
{
    static const uint8_t deleted = 0xE5;
    struct fat_dir_iter it;
    fat_dir_begin(&it, v, dir);
    uint8_t seqs[21], sums[21];
    uint32_t run_first = 0, run = 0;   /* pending long-name slots */
    for (;; it.slot++) {
        uint8_t *e;
        int r = iter_slot(&it, &e);
        if (r < 0)
            return r;
        int end = r == 0 || e[0] == 0;
        int is_lfn = !end && e[0] != 0xE5 && (e[11] & 0x3F) == ATTR_LFN;
        int starts_new = is_lfn && (e[0] & 0x40);
        if (is_lfn && !starts_new && run > 0 && run < 21) {
            seqs[run] = e[0];
            sums[run++] = e[13];
            continue;
        }
        /* The pending run ends here: it is kept only if this is its short entry. */
        int keep = !end && !is_lfn && e[0] != 0xE5 && !(e[11] & ATTR_VOLUME) &&
                   lfn_run_matches(seqs, sums, run, e);
        if (run > 0 && !keep) {
            for (uint32_t s = run_first; s < run_first + run; s++) {
                r = patch_slot(v, dir, s, &deleted, 1);
                if (r != 0)
                    return r;
                (*dropped)++;
            }
        }
        run = 0;
        if (end)
            return 0;
        if (is_lfn) {
            /* A first slot, or a stray later slot (which is an orphan of one). */
            run_first = it.slot;
            seqs[0] = e[0];
            sums[0] = e[13];
            run = 1;
        }
    }
}
