/* fuzz_fat.c: libFuzzer target for the FAT32 driver (kernel/fs) on hostile
 * disks. The input is a list of sectors, each a 4-byte little-endian sector
 * number (taken modulo the disk size) and 512 bytes, laid over an all-zero
 * disk of DISK_SECTORS; seeds are images made by mformat and mcopy, stored
 * that way (tests/fuzz/seeds.py). Each run mounts the disk (which checks and
 * repairs it), walks every directory and reads every file, writes, appends,
 * makes a directory and deletes, then mounts and walks again. The driver
 * must answer every call with a result or an error message, never crash or
 * hang, and never touch a sector outside the partition it mounted (the MBR
 * aside, which it reads). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"
#include "drivers/blockdev.h"

#define SECTOR 512u
#define DISK_SECTORS (36u * 2048u)          /* a 36 MiB disk: room for a real FAT32 */
#define RECORD (4u + SECTOR)
#define MAX_VISITS 400                      /* entries walked per pass */

static uint8_t disk[(size_t)DISK_SECTORS * SECTOR];
static uint8_t touched[DISK_SECTORS / 8];   /* sectors to zero again after the run */
static uint64_t part_first, part_end;       /* the partition the MBR names */

static void touch(uint64_t lba)
{
    touched[lba / 8] |= (uint8_t)(1u << lba % 8);
}

static int disk_read(struct blockdev *d, uint64_t lba, uint32_t n, void *buf)
{
    if (lba + n > DISK_SECTORS) {
        snprintf(d->error, sizeof d->error, "read past the end of the disk at LBA %llu", (unsigned long long)lba);
        return -1;
    }
    if (lba != 0 && (lba < part_first || lba + n > part_end))
        abort();                            /* reading outside its partition */
    memcpy(buf, disk + lba * SECTOR, (size_t)n * SECTOR);
    return 0;
}

static int disk_write(struct blockdev *d, uint64_t lba, uint32_t n, const void *buf)
{
    (void)d;
    if (lba < part_first || lba + n > part_end)
        abort();                            /* writing outside its partition */
    memcpy(disk + lba * SECTOR, buf, (size_t)n * SECTOR);
    for (uint32_t i = 0; i < n; i++)
        touch(lba + i);
    return 0;
}

static int disk_flush(struct blockdev *d)
{
    (void)d;
    return 0;
}

void fs_clock_now(struct fs_time *t)
{
    *t = (struct fs_time){ 2026, 1, 2, 3, 4, 5 };
}

/* The partition the driver may use: the first FAT32 entry of the MBR, the
 * same rule as kernel/fs/mbr.c, computed here independently. */
static void find_partition(void)
{
    const uint8_t *s = disk;
    part_first = part_end = 0;
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = s + 446 + 16 * i;
        uint8_t type = e[4] & 0xEF;
        if (type != 0x0B && type != 0x0C)
            continue;
        uint32_t start, count;
        memcpy(&start, e + 8, 4);
        memcpy(&count, e + 12, 4);
        part_first = start;
        part_end = (uint64_t)start + count;
        return;
    }
}

static void check_message(int err)
{
    const char *m = fs_error_message(err);
    if (!m[0])
        abort();                            /* every failure says what it is */
}

static int visits;

static void walk(const char *path, int depth)
{
    struct fs_dir *d;
    int r = fs_opendir(path, &d);
    if (r != 0) {
        check_message(r);
        return;
    }
    struct fs_dirent e;
    while (visits < MAX_VISITS && (r = fs_readdir(d, &e)) == 1) {
        visits++;
        char child[600];
        snprintf(child, sizeof child, "%s/%s", depth ? path : "", e.name);
        struct fs_stat st;
        if ((r = fs_stat(child, &st)) != 0) {
            check_message(r);
        } else if (e.is_dir) {
            if (depth < 6)
                walk(child, depth + 1);
        } else {
            void *data;
            size_t size;
            r = fs_read_whole(child, 16, &data, &size, NULL, NULL);
            if (r == 0)
                free(data);
            else
                check_message(r);
        }
    }
    if (r < 0)
        check_message(r);
    fs_closedir(d);
}

/* A whole-file write must read back exactly as written. */
static void write_and_check(const char *path, const uint8_t *text, size_t n, int append)
{
    void *before = NULL, *after;
    size_t before_n = 0, after_n;
    if (append && fs_read_whole(path, 16, &before, &before_n, NULL, NULL) != 0)
        before = NULL, before_n = 0;
    int r = append ? fs_append_whole(path, text, n) : fs_write_whole(path, text, n);
    if (r != 0) {
        check_message(r);
    } else if (fs_read_whole(path, 16, &after, &after_n, NULL, NULL) == 0) {
        if (after_n != before_n + n || (before_n && memcmp(after, before, before_n)) ||
            memcmp((uint8_t *)after + before_n, text, n))
            abort();                        /* the write did not take */
        free(after);
    }
    free(before);
}

static void exercise(struct blockdev *dev)
{
    int r = fs_mount(dev);
    if (r != 0) {
        check_message(r);
        return;
    }
    visits = 0;
    walk("/", 0);
    static uint8_t text[5000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)(i * 7 + 1);
    write_and_check("/FUZZ.TXT", text, 3000, 0);
    write_and_check("/FUZZ.TXT", text, 700, 1);
    if ((r = fs_mkdir("/FUZZDIR")) != 0)
        check_message(r);
    write_and_check("/FUZZDIR/A rather long file name.txt", text, sizeof text, 0);
    if ((r = fs_unlink("/FUZZ.TXT")) != 0)
        check_message(r);
    /* The next boot: the mount checks what the writes left. */
    fs_unmount();
    if ((r = fs_mount(dev)) != 0) {
        check_message(r);
        return;
    }
    visits = 0;
    walk("/", 0);
    fs_unmount();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t at = 0; at + RECORD <= size; at += RECORD) {
        uint32_t lba;
        memcpy(&lba, data + at, 4);
        lba %= DISK_SECTORS;
        memcpy(disk + (size_t)lba * SECTOR, data + at + 4, SECTOR);
        touch(lba);
    }
    find_partition();
    struct blockdev dev = { .name = "fuzz", .sectors = DISK_SECTORS, .read = disk_read,
                            .write = disk_write, .flush = disk_flush };
    if (part_end > part_first && part_end <= DISK_SECTORS)
        exercise(&dev);
    else if (fs_mount(&dev) == 0)
        abort();                            /* mounted a partition outside the disk */
    /* Back to an all-zero disk for the next input. */
    for (uint32_t i = 0; i < DISK_SECTORS / 8; i++) {
        if (!touched[i])
            continue;
        for (uint32_t b = 0; b < 8; b++)
            if (touched[i] & (1u << b))
                memset(disk + ((size_t)i * 8 + b) * SECTOR, 0, SECTOR);
        touched[i] = 0;
    }
    return 0;
}
