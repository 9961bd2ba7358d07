/* The filesystem API the rest of the kernel uses: files and directories by path
 * on the mounted boot partition (FAT32, names case-insensitive). Every function
 * returns 0 (or a byte count) on success and a negative FS_E* code on failure;
 * fs_error_message() turns that code into one line for the user. */
#ifndef FS_FS_H
#define FS_FS_H

#include <stdint.h>
#include <stddef.h>

enum {
    FS_OK = 0,
    FS_ENOENT = -1,      /* no such file or directory */
    FS_EEXIST = -2,      /* already exists */
    FS_ENOTDIR = -3,     /* a path component is not a directory */
    FS_EISDIR = -4,      /* is a directory */
    FS_ENOSPC = -5,      /* disk full */
    FS_EIO = -6,         /* the disk reported an error */
    FS_ECORRUPT = -7,    /* inconsistent on-disk structures (e.g. bad cluster chain) */
    FS_EINVAL = -8,      /* invalid name or argument */
    FS_ENOMEM = -9,      /* out of memory */
    FS_ENOTEMPTY = -10,  /* directory not empty */
    FS_ENOFS = -11,      /* no filesystem mounted */
    FS_EBADFS = -12,     /* not a valid FAT32 volume */
    FS_EFBIG = -13,      /* file would exceed the FAT32 limit of 4 GiB - 1 */
    FS_ECANCELED = -14,  /* stopped by the user */
    FS_EROFS = -15,      /* the volume is mounted read-only (it is damaged) */
};

/* fs_open flags */
#define FS_O_READ   0x01
#define FS_O_WRITE  0x02
#define FS_O_CREATE 0x04   /* create the file if missing */
#define FS_O_TRUNC  0x08   /* cut to zero length on open */
#define FS_O_APPEND 0x10   /* every write goes to the end */

struct fs_time { uint16_t year; uint8_t month, day, hour, minute, second; };

struct fs_stat {
    uint32_t size;
    int is_dir;
    struct fs_time mtime;
};

struct fs_dirent {
    char name[256];
    uint32_t size;
    int is_dir;
    struct fs_time mtime;
};

struct fs_statfs {
    uint32_t cluster_bytes;
    uint32_t total_clusters;
    uint32_t free_clusters;
    char label[12];
};

struct fs_file;
struct fs_dir;
struct blockdev;

/* Mount the first FAT32 partition found in the MBR of `dev`; replaces any
 * previous mount. */
int fs_mount(struct blockdev *dev);
int fs_mounted(void);
void fs_unmount(void);
/* What the mount found and repaired after a power cut, or damage it left
 * alone, in one line; "" when the volume was clean. A damaged volume is
 * mounted read-only: every change fails with FS_EROFS. */
const char *fs_mount_note(void);

/* Replace the whole content of a file (created if missing) with n bytes, or
 * add n bytes to its end. After a power cut at any moment the file holds its
 * old content or its new content, never a part (docs/storage.md). Every
 * file the OS writes goes through one of these two. */
int fs_write_whole(const char *path, const void *data, size_t n);
int fs_append_whole(const char *path, const void *data, size_t n);

int fs_open(const char *path, int flags, struct fs_file **out);
long fs_read(struct fs_file *f, void *buf, size_t n);
long fs_write(struct fs_file *f, const void *buf, size_t n);
int fs_seek(struct fs_file *f, uint32_t pos);   /* pos <= size */
uint32_t fs_size(const struct fs_file *f);
int fs_truncate(struct fs_file *f, uint32_t size);  /* shrink only */
/* fs_write and fs_truncate change a file in place: a power cut part-way can
 * leave a part of the change. Whole files go through fs_write_whole. */
int fs_close(struct fs_file *f);                /* always frees f */

int fs_opendir(const char *path, struct fs_dir **out);
int fs_readdir(struct fs_dir *d, struct fs_dirent *e);  /* 1 entry, 0 end, <0 error */
void fs_closedir(struct fs_dir *d);

int fs_stat(const char *path, struct fs_stat *st);
int fs_mkdir(const char *path);
int fs_unlink(const char *path);   /* a file or an empty directory */
int fs_statfs(struct fs_statfs *st);

/* Called while a whole file loads; returning nonzero cancels the load. */
typedef int (*fs_progress_fn)(uint64_t done, uint64_t total, void *ctx);

/* Read a whole file into one new kaligned_alloc(align, ...) block (freed with
 * kfree). progress may be NULL. */
int fs_read_whole(const char *path, size_t align, void **out, size_t *size,
                  fs_progress_fn progress, void *ctx);

/* One line describing `err`, with the detail of the most recent failure. */
const char *fs_error_message(int err);

/* Wall-clock time for new directory entries; the kernel reads the CMOS clock. */
void fs_clock_now(struct fs_time *t);

#endif
