/* The path-level filesystem API of fs.h on top of the FAT32 code: one mounted
 * volume (checked and repaired after a power cut when mounted), paths
 * resolved component by component (case-insensitive, "." and ".."
 * understood), whole-file writes that survive a power cut, and metadata
 * synced to disk at the end of every change. */
#include "fs/fs.h"
#include "fs/fat32.h"
#include "fs/mbr.h"
#include "lib/string.h"
#include "lib/memory.h"
#include "lib/printf.h"

#define MAX_DEPTH 32

struct fs_file {
    struct fat32 *v;
    struct fat_found ent;
    struct fat_chain_pos chain;
    uint32_t pos;
    int flags;
};

struct fs_dir {
    struct fat_dir_iter it;
};

static struct fat32 volume;
static int mounted;
static char mount_error[200] = "storage not initialised";
static char mount_note[240];
static int read_only;             /* the mount found damage: no changes */

static void fs_unmount_volume(void)
{
    kfree(volume.scratch);
    volume.scratch = NULL;
}

void fs_unmount(void)
{
    if (mounted)
        fs_unmount_volume();
    mounted = 0;
}

/* After fat32_mount: repair what an interrupted change left (fat32_recover.c)
 * and describe it in mount_note. Damage beyond that is reported, not fatal:
 * the files that are whole stay readable. */
static int recover(void)
{
    struct fat_recovery rep;
    int r = fat32_recover(&volume, &rep);
    if (r == FS_ENOMEM) {
        snprintf(mount_note, sizeof mount_note, "not checked after a power cut: %s", fs_error_message(r));
        return 0;
    }
    if (r != 0)
        return r;
    if (rep.damaged) {
        /* Its FAT may call free what a file still uses: a write could
         * overwrite that file, or the directories themselves. */
        read_only = 1;
        snprintf(mount_note, sizeof mount_note, "damaged, mounted read-only for fsck.fat to repair: %s",
                 fs_error_message(FS_ECORRUPT));
        return 0;
    }
    if (rep.fat_sectors_copied || rep.lost_reclaimed || rep.orphans_dropped)
        snprintf(mount_note, sizeof mount_note,
                 "repaired after an interrupted write: %u FAT sector(s) copied, "
                 "%u lost cluster(s) and %u orphaned long-name slot(s) freed",
                 (unsigned)rep.fat_sectors_copied, (unsigned)rep.lost_reclaimed,
                 (unsigned)rep.orphans_dropped);
    return fat32_sync(&volume);
}

int fs_mount(struct blockdev *dev)
{
    uint64_t lba, sectors;
    fs_unmount();
    fs_clear_error();
    mount_note[0] = 0;
    read_only = 0;
    int r = mbr_find_fat32(dev, &lba, &sectors);
    if (r == 0)
        r = fat32_mount(&volume, dev, lba, sectors);
    if (r == 0)
        r = recover();
    mounted = r == 0;
    if (r != 0) {
        strncpy(mount_error, fs_error_message(r), sizeof mount_error - 1);
        fs_unmount_volume();
    }
    return r;
}

const char *fs_mount_note(void)
{
    return mount_note;
}

int fs_mounted(void)
{
    return mounted;
}

/* Start of every public call: clear the old detail, require a volume. */
static int begin(void)
{
    fs_clear_error();
    return mounted ? 0 : fs_fail(FS_ENOFS, "%s", mount_error);
}

/* Start of every public call that changes the volume. */
static int begin_change(void)
{
    int r = begin();
    if (r == 0 && read_only)
        r = fs_fail(FS_EROFS, "the volume is damaged; fsck.fat can repair it");
    return r;
}

/* End of every change: get the FAT copies, FSInfo and device cache to disk,
 * keeping the first error. */
static int finish(int r)
{
    int s = fat32_sync(&volume);
    return r != 0 ? r : s;
}

/* Split `path` into its parent directory (cluster) and last component.
 * An empty leaf means the path names the root. */
static int resolve_parent(const char *path, uint32_t *dir, char leaf[256])
{
    uint32_t stack[MAX_DEPTH];
    int depth = 0;
    stack[0] = volume.root_cluster;
    leaf[0] = 0;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - p);
        if (n > 255)
            return fs_fail(FS_EINVAL, "a path component is longer than 255 characters");
        /* The previous component becomes a directory we descend into. */
        if (leaf[0]) {
            struct fat_found f;
            int r = fat_dir_find(&volume, stack[depth], leaf, &f);
            if (r != 0)
                return r == FS_ENOENT ? fs_fail(FS_ENOENT, "%s", leaf) : r;
            if (!(f.de.attr & ATTR_DIR))
                return fs_fail(FS_ENOTDIR, "%s", leaf);
            if (depth + 1 >= MAX_DEPTH)
                return fs_fail(FS_EINVAL, "path nested deeper than %d directories", MAX_DEPTH);
            uint32_t c = fat_entry_cluster(&f.de);
            stack[++depth] = c ? c : volume.root_cluster;
            leaf[0] = 0;
        }
        if (n == 1 && p[0] == '.') {
            /* stays here */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            /* Undo the pending component, or leave the current directory. */
            if (leaf[0])
                leaf[0] = 0;
            else if (depth > 0)
                depth--;
        } else {
            memcpy(leaf, p, n);
            leaf[n] = 0;
        }
        p = e;
    }
    *dir = stack[depth];
    return 0;
}

/* Start of a public call on an existing path: begin(), then resolve the whole
 * path. *is_root is set when it names the root directory, whose FAT32 form
 * has no directory entry. */
static int begin_lookup(const char *path, uint32_t *dir, struct fat_found *f, int *is_root)
{
    int r = begin();
    if (r != 0)
        return r;
    char leaf[256];
    r = resolve_parent(path, dir, leaf);
    if (r != 0)
        return r;
    *is_root = leaf[0] == 0;
    if (*is_root) {
        *dir = volume.root_cluster;
        return 0;
    }
    r = fat_dir_find(&volume, *dir, leaf, f);
    return r == FS_ENOENT ? fs_fail(FS_ENOENT, "%s", path) : r;
}

/* A file larger than the whole volume cannot be: its entry is damaged (and
 * trusting the size would ask the heap for up to 4 GiB). */
static int check_size(const struct fat_found *f, const char *path)
{
    if (!(f->de.attr & ATTR_DIR) && f->de.size > (uint64_t)volume.clusters * volume.cluster_bytes)
        return fs_fail(FS_ECORRUPT, "%s: size %u is larger than the volume", path, (unsigned)f->de.size);
    return 0;
}

int fs_open(const char *path, int flags, struct fs_file **out)
{
    int r = flags & (FS_O_WRITE | FS_O_CREATE | FS_O_TRUNC) ? begin_change() : begin();
    if (r != 0)
        return r;
    struct fs_file *f = kcalloc(1, sizeof *f);
    if (!f)
        return fs_fail(FS_ENOMEM, "no memory for a file handle");
    uint32_t dir;
    char leaf[256];
    r = resolve_parent(path, &dir, leaf);
    if (r == 0 && !leaf[0])
        r = FS_EISDIR;
    if (r == 0) {
        r = fat_dir_find(&volume, dir, leaf, &f->ent);
        if (r == FS_ENOENT && (flags & FS_O_CREATE))
            r = finish(fat_dir_add(&volume, dir, leaf, ATTR_ARCH, 0, 0, &f->ent));
        else if (r == FS_ENOENT)
            r = fs_fail(FS_ENOENT, "%s", path);
    }
    if (r == 0 && (f->ent.de.attr & ATTR_DIR))
        r = FS_EISDIR;
    if (r == 0)
        r = check_size(&f->ent, path);
    if (r != 0) {
        kfree(f);
        return r;
    }
    f->v = &volume;
    f->flags = flags;
    f->chain.first = fat_entry_cluster(&f->ent.de);
    f->chain.size = f->ent.de.size;
    if ((flags & FS_O_TRUNC) && (flags & FS_O_WRITE) && f->chain.size) {
        r = fs_truncate(f, 0);
        if (r != 0) {
            kfree(f);
            return r;
        }
    }
    *out = f;
    return 0;
}

long fs_read(struct fs_file *f, void *buf, size_t n)
{
    int r = begin();
    if (r != 0)
        return r;
    long got = fat_chain_read(f->v, &f->chain, f->pos, buf, n);
    if (got > 0)
        f->pos += (uint32_t)got;
    return got;
}

/* Write the chain's size and first cluster back to the directory entry. */
static int entry_sync(struct fs_file *f)
{
    f->ent.de.size = f->chain.size;
    fat_entry_set_cluster(&f->ent.de, f->chain.first);
    f->ent.de.attr |= ATTR_ARCH;
    fat_entry_stamp(&f->ent.de, 0);
    return fat_dir_update(f->v, &f->ent);
}

long fs_write(struct fs_file *f, const void *buf, size_t n)
{
    int r = begin_change();
    if (r != 0)
        return r;
    if (!(f->flags & FS_O_WRITE))
        return fs_fail(FS_EINVAL, "file not opened for writing");
    if (f->flags & FS_O_APPEND)
        f->pos = f->chain.size;
    uint32_t old_first = f->chain.first, old_size = f->chain.size;
    long w = fat_chain_write(f->v, &f->chain, f->pos, buf, n);
    if (w > 0)
        f->pos += (uint32_t)w;
    /* Even a failed write may have grown the chain: record what is there,
     * after the new clusters are allocated on the disk. */
    if (w > 0 || f->chain.first != old_first || f->chain.size != old_size) {
        r = fat32_sync(f->v);
        if (r == 0)
            r = entry_sync(f);
    }
    r = finish(r);
    return w < 0 ? w : r != 0 ? r : w;
}

/* The one way the OS writes a whole file (docs/storage.md, "Crash-safe
 * writes"). The order of the disk writes, each group flushed before the next:
 *   1. the new content into free clusters: nothing refers to them;
 *   2. their chain into FAT copy 1, then the other copies: still referenced
 *      by nothing, so a cut leaves only lost clusters (freed at mount);
 *   3. the switch: the file's short entry, whose size and first cluster
 *      change together in one 32-byte entry of one sector. A sector write
 *      is atomic on the disk, so the file has the old chain or the new one;
 *      a new file gets its entry here, the short entry after any long-name
 *      slots (orphan slots before it are freed at mount);
 *   4. the old chain freed, copy 1 first: it is no longer referenced.
 * Appending builds old + new content the same way, so it is old-or-new too. */
static int replace_file(const char *path, const void *data, size_t n, int append)
{
    int r = begin_change();
    if (r != 0)
        return r;
    uint32_t dir;
    char leaf[256];
    struct fat_found ent;
    r = resolve_parent(path, &dir, leaf);
    if (r != 0)
        return r;
    if (!leaf[0])
        return fs_fail(FS_EISDIR, "/");
    r = fat_dir_find(&volume, dir, leaf, &ent);
    int exists = r == 0;
    if (r != 0 && r != FS_ENOENT)
        return r;
    if (exists && (ent.de.attr & ATTR_DIR))
        return fs_fail(FS_EISDIR, "%s", path);
    if (exists && (r = check_size(&ent, path)) != 0)
        return r;
    if (!exists && !fat_name_valid(leaf))
        return fs_fail(FS_EINVAL, "invalid file name \"%s\"", leaf);
    uint8_t *joined = NULL;
    if (append && exists && ent.de.size) {
        uint32_t old = ent.de.size;
        if ((uint64_t)old + n > 0xFFFFFFFFu)
            return fs_fail(FS_EFBIG, "a FAT32 file cannot reach %llu bytes", (unsigned long long)old + n);
        joined = kmalloc((size_t)old + n);
        if (!joined)
            return fs_fail(FS_ENOMEM, "no memory to append to a %u-byte file", (unsigned)old);
        struct fat_chain_pos c = { .first = fat_entry_cluster(&ent.de), .size = old };
        long got = fat_chain_read(&volume, &c, 0, joined, old);
        if (got != (long)old) {
            kfree(joined);
            return got < 0 ? (int)got : fs_fail(FS_EIO, "read %ld of %u bytes", got, (unsigned)old);
        }
        memcpy(joined + old, data, n);
        data = joined;
        n += old;
    }
    uint32_t first;
    r = fat_chain_create(&volume, data, n, &first);
    if (r == 0)
        r = fat32_sync(&volume);
    if (r == 0 && exists) {
        uint32_t old_first = fat_entry_cluster(&ent.de);
        ent.de.size = (uint32_t)n;
        fat_entry_set_cluster(&ent.de, first);
        ent.de.attr |= ATTR_ARCH;
        fat_entry_stamp(&ent.de, 0);
        r = fat_dir_update(&volume, &ent);
        if (r == 0)
            r = fat32_sync(&volume);
        if (r == 0 && old_first)
            r = finish(fat_free_chain(&volume, old_first));
    } else if (r == 0) {
        r = fat_dir_add(&volume, dir, leaf, ATTR_ARCH, first, (uint32_t)n, &ent);
        /* Refused before its short entry was written: the chain is nobody's.
         * After an I/O error that is not certain, and the mount frees it. */
        if (r != 0 && r != FS_EIO && first)
            fat_free_chain(&volume, first);
        r = finish(r);
    }
    kfree(joined);
    return r;
}

int fs_write_whole(const char *path, const void *data, size_t n)
{
    return replace_file(path, data, n, 0);
}

int fs_append_whole(const char *path, const void *data, size_t n)
{
    return replace_file(path, data, n, 1);
}

int fs_seek(struct fs_file *f, uint32_t pos)
{
    if (pos > f->chain.size)
        return fs_fail(FS_EINVAL, "seek beyond the end of the file");
    f->pos = pos;
    return 0;
}

uint32_t fs_size(const struct fs_file *f)
{
    return f->chain.size;
}

int fs_truncate(struct fs_file *f, uint32_t size)
{
    int r = begin_change();
    if (r != 0)
        return r;
    if (!(f->flags & FS_O_WRITE))
        return fs_fail(FS_EINVAL, "file not opened for writing");
    r = fat_chain_truncate(f->v, &f->chain, size);
    int e = entry_sync(f);
    if (f->pos > f->chain.size)
        f->pos = f->chain.size;
    return finish(r != 0 ? r : e);
}

int fs_close(struct fs_file *f)
{
    kfree(f);
    return 0;
}

int fs_opendir(const char *path, struct fs_dir **out)
{
    uint32_t dir;
    struct fat_found f;
    int is_root;
    int r = begin_lookup(path, &dir, &f, &is_root);
    if (r != 0)
        return r;
    if (!is_root && !(f.de.attr & ATTR_DIR))
        return fs_fail(FS_ENOTDIR, "%s", path);
    uint32_t c = is_root ? dir : fat_entry_cluster(&f.de);
    struct fs_dir *d = kmalloc(sizeof *d);
    if (!d)
        return fs_fail(FS_ENOMEM, "no memory for a directory handle");
    fat_dir_begin(&d->it, &volume, c ? c : volume.root_cluster);
    *out = d;
    return 0;
}

int fs_readdir(struct fs_dir *d, struct fs_dirent *e)
{
    int r = begin();
    if (r != 0)
        return r;
    struct fat_found f;
    while ((r = fat_dir_next(&d->it, &f)) == 1) {
        if (strcmp(f.name, ".") == 0 || strcmp(f.name, "..") == 0)
            continue;
        memcpy(e->name, f.name, sizeof e->name);
        e->size = f.de.size;
        e->is_dir = (f.de.attr & ATTR_DIR) != 0;
        fat_time_decode(f.de.mdate, f.de.mtime, &e->mtime);
        return 1;
    }
    return r;
}

void fs_closedir(struct fs_dir *d)
{
    kfree(d);
}

int fs_stat(const char *path, struct fs_stat *st)
{
    uint32_t dir;
    struct fat_found f;
    int is_root;
    int r = begin_lookup(path, &dir, &f, &is_root);
    if (r != 0)
        return r;
    memset(st, 0, sizeof *st);
    st->is_dir = is_root || (f.de.attr & ATTR_DIR);
    if (!is_root) {
        st->size = st->is_dir ? 0 : f.de.size;
        fat_time_decode(f.de.mdate, f.de.mtime, &st->mtime);
    }
    return 0;
}

/* The "." and ".." entries that open every directory but the root. */
static int write_dot_entries(uint32_t self, uint32_t parent)
{
    struct fat_dirent *de = (struct fat_dirent *)volume.scratch;
    memset(volume.scratch, 0, volume.cluster_bytes);
    for (int i = 0; i < 2; i++) {
        memset(de[i].name, ' ', 11);
        memset(de[i].name, '.', (size_t)i + 1);
        de[i].attr = ATTR_DIR;
        fat_entry_stamp(&de[i], 1);
    }
    fat_entry_set_cluster(&de[0], self);
    /* A ".." pointing at the root says cluster 0, by convention. */
    fat_entry_set_cluster(&de[1], parent == volume.root_cluster ? 0 : parent);
    return fat32_io(&volume, 1, fat32_cluster_sector(&volume, self), volume.spc, volume.scratch);
}

int fs_mkdir(const char *path)
{
    int r = begin_change();
    if (r != 0)
        return r;
    uint32_t dir;
    char leaf[256];
    struct fat_found f;
    r = resolve_parent(path, &dir, leaf);
    if (r != 0)
        return r;
    if (!leaf[0])
        return fs_fail(FS_EEXIST, "/");
    r = fat_dir_find(&volume, dir, leaf, &f);
    if (r == 0)
        return fs_fail(FS_EEXIST, "%s", path);
    if (r != FS_ENOENT)
        return r;
    if (!fat_name_valid(leaf))
        return fs_fail(FS_EINVAL, "invalid directory name \"%s\"", leaf);
    uint32_t c;
    r = fat_alloc(&volume, 0, &c);
    if (r != 0)
        return r;
    r = write_dot_entries(c, dir);
    /* The cluster is allocated in both FAT copies before an entry names it. */
    if (r == 0)
        r = fat32_sync(&volume);
    if (r == 0)
        r = fat_dir_add(&volume, dir, leaf, ATTR_DIR, c, 0, &f);
    if (r != 0) {
        /* Give the cluster back so nothing is left allocated but unused. */
        int saved = r;
        fat_free_chain(&volume, c);
        return finish(saved);
    }
    return finish(0);
}

int fs_unlink(const char *path)
{
    uint32_t dir;
    struct fat_found f;
    int is_root;
    int r = begin_change();
    if (r == 0)
        r = begin_lookup(path, &dir, &f, &is_root);
    if (r != 0)
        return r;
    if (is_root)
        return fs_fail(FS_EINVAL, "cannot remove the root directory");
    uint32_t c = fat_entry_cluster(&f.de);
    if (f.de.attr & ATTR_DIR) {
        r = c ? fat_dir_is_empty(&volume, c) : 1;
        if (r < 0)
            return r;
        if (r == 0)
            return fs_fail(FS_ENOTEMPTY, "%s", path);
    }
    /* Entry first, then clusters: a failure between leaves lost clusters
     * (harmless) rather than an entry pointing at free space. */
    r = fat_dir_remove(&volume, dir, &f);
    if (r == 0 && c)
        r = fat_free_chain(&volume, c);
    return finish(r);
}

int fs_statfs(struct fs_statfs *st)
{
    int r = begin();
    if (r != 0)
        return r;
    st->cluster_bytes = volume.cluster_bytes;
    st->total_clusters = volume.clusters;
    st->free_clusters = volume.free_clusters;
    memcpy(st->label, volume.label, sizeof st->label);
    return 0;
}
