/* Host harness for kernel/fs: mounts a disk image file through the same FAT32
 * code the kernel runs and executes commands read from stdin, one per line,
 * arguments separated by tabs (so names may contain spaces):
 *   put HOSTFILE PATH [CHUNK] | append HOSTFILE PATH | get PATH HOSTFILE |
 *   save HOSTFILE PATH | extend HOSTFILE PATH (fs_write_whole, fs_append_whole) |
 *   mountnote (what the mount repaired) |
 *   cat PATH | ls PATH | stat PATH | mkdir PATH | rm PATH | truncate PATH SIZE | df
 * Each prints its result or "error: ..."; the exit status is 1 if any failed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fs/fs.h"
#include "drivers/blockdev.h"

static int image_fd;

static int img_read(struct blockdev *d, uint64_t lba, uint32_t n, void *buf)
{
    if (lba + n > d->sectors || pread(image_fd, buf, (size_t)n * 512, (off_t)lba * 512) != (ssize_t)n * 512) {
        snprintf(d->error, sizeof d->error, "image read failed at LBA %llu", (unsigned long long)lba);
        return -1;
    }
    return 0;
}

/* A power cut, simulated: with FAT_HOST_CUT_AFTER=N in the environment the
 * program dies (exit status 3) after N sectors have reached the image, one
 * sector at a time, so a cut can fall inside a multi-sector request. At exit
 * the number of sectors written is printed to stderr ("sectors written: N"). */
static long cut_after = -1;
static long sectors_written;

static void report_sectors(void)
{
    fprintf(stderr, "sectors written: %ld\n", sectors_written);
}

static int img_write(struct blockdev *d, uint64_t lba, uint32_t n, const void *buf)
{
    if (lba + n > d->sectors) {
        snprintf(d->error, sizeof d->error, "image write failed at LBA %llu", (unsigned long long)lba);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (cut_after >= 0 && sectors_written == cut_after)
            _exit(3);
        if (pwrite(image_fd, (const char *)buf + (size_t)i * 512, 512, (off_t)(lba + i) * 512) != 512) {
            snprintf(d->error, sizeof d->error, "image write failed at LBA %llu", (unsigned long long)(lba + i));
            return -1;
        }
        sectors_written++;
    }
    return 0;
}

/* Written data is already visible to the tools that check the image; an
 * fsync per filesystem operation would only slow the tests down. */
static int img_flush(struct blockdev *d)
{
    (void)d;
    return 0;
}

void fs_clock_now(struct fs_time *t)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    t->year = (uint16_t)(tm.tm_year + 1900);
    t->month = (uint8_t)(tm.tm_mon + 1);
    t->day = (uint8_t)tm.tm_mday;
    t->hour = (uint8_t)tm.tm_hour;
    t->minute = (uint8_t)tm.tm_min;
    t->second = (uint8_t)tm.tm_sec;
}

static int fail(int r)
{
    printf("error: %s\n", fs_error_message(r));
    return 1;
}

/* Copy a host file into PATH, `chunk` bytes per fs_write call. */
static int put(const char *host, const char *path, int flags, size_t chunk)
{
    FILE *in = fopen(host, "rb");
    if (!in) {
        printf("error: cannot open %s\n", host);
        return 1;
    }
    struct fs_file *f = NULL;
    int r = fs_open(path, FS_O_WRITE | FS_O_CREATE | flags, &f);
    char *buf = malloc(chunk);
    size_t n;
    while (r == 0 && (n = fread(buf, 1, chunk, in)) > 0) {
        long w = fs_write(f, buf, n);
        if (w < 0)
            r = (int)w;
    }
    if (f)
        fs_close(f);
    free(buf);
    fclose(in);
    return r ? fail(r) : (printf("ok\n"), 0);
}

/* Write a host file into PATH through the crash-safe whole-file calls. */
static int put_whole(const char *host, const char *path, int append)
{
    FILE *in = fopen(host, "rb");
    if (!in) {
        printf("error: cannot open %s\n", host);
        return 1;
    }
    fseek(in, 0, SEEK_END);
    size_t n = (size_t)ftell(in);
    rewind(in);
    char *buf = malloc(n ? n : 1);
    size_t got = fread(buf, 1, n, in);
    fclose(in);
    int r = got != n ? FS_EIO : append ? fs_append_whole(path, buf, n) : fs_write_whole(path, buf, n);
    free(buf);
    return r ? fail(r) : (printf("ok\n"), 0);
}

static int get(const char *path, const char *host)
{
    void *data;
    size_t size;
    int r = fs_read_whole(path, 64, &data, &size, NULL, NULL);
    if (r != 0)
        return fail(r);
    FILE *out = fopen(host, "wb");
    fwrite(data, 1, size, out);
    fclose(out);
    free(data);
    printf("ok %zu\n", size);
    return 0;
}

static int ls(const char *path)
{
    struct fs_dir *d;
    struct fs_dirent e;
    int r = fs_opendir(path, &d);
    if (r != 0)
        return fail(r);
    while ((r = fs_readdir(d, &e)) == 1)
        printf("%c\t%u\t%04u-%02u-%02u\t%s\n", e.is_dir ? 'D' : 'F', e.size, e.mtime.year,
               e.mtime.month, e.mtime.day, e.name);
    fs_closedir(d);
    return r < 0 ? fail(r) : 0;
}

static int truncate_to(const char *path, uint32_t size)
{
    struct fs_file *f;
    int r = fs_open(path, FS_O_WRITE, &f);
    if (r != 0)
        return fail(r);
    r = fs_truncate(f, size);
    fs_close(f);
    return r ? fail(r) : (printf("ok\n"), 0);
}

static int run(int argc, char **argv)
{
    const char *c = argv[0];
    int r;
    if (!strcmp(c, "put") && argc >= 3)
        return put(argv[1], argv[2], FS_O_TRUNC, argc > 3 ? strtoul(argv[3], NULL, 0) : 4096);
    if (!strcmp(c, "append") && argc == 3)
        return put(argv[1], argv[2], FS_O_APPEND, 4096);
    if (!strcmp(c, "save") && argc == 3)
        return put_whole(argv[1], argv[2], 0);
    if (!strcmp(c, "extend") && argc == 3)
        return put_whole(argv[1], argv[2], 1);
    if (!strcmp(c, "mountnote") && argc == 1)
        return printf("%s\n", fs_mount_note()), 0;
    if (!strcmp(c, "get") && argc == 3)
        return get(argv[1], argv[2]);
    if (!strcmp(c, "ls") && argc == 2)
        return ls(argv[1]);
    if (!strcmp(c, "truncate") && argc == 3)
        return truncate_to(argv[1], (uint32_t)strtoul(argv[2], NULL, 0));
    if (!strcmp(c, "mkdir") && argc == 2)
        return (r = fs_mkdir(argv[1])) ? fail(r) : (printf("ok\n"), 0);
    if (!strcmp(c, "rm") && argc == 2)
        return (r = fs_unlink(argv[1])) ? fail(r) : (printf("ok\n"), 0);
    if (!strcmp(c, "stat") && argc == 2) {
        struct fs_stat st;
        if ((r = fs_stat(argv[1], &st)))
            return fail(r);
        printf("%s %u\n", st.is_dir ? "dir" : "file", st.size);
        return 0;
    }
    if (!strcmp(c, "df") && argc == 1) {
        struct fs_statfs st;
        if ((r = fs_statfs(&st)))
            return fail(r);
        printf("%u %u %u %s\n", st.total_clusters, st.free_clusters, st.cluster_bytes, st.label);
        return 0;
    }
    printf("error: unknown command or wrong arguments: %s\n", c);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE < commands\n", argv[0]);
        return 2;
    }
    const char *cut = getenv("FAT_HOST_CUT_AFTER");
    if (cut)
        cut_after = strtol(cut, NULL, 10);
    atexit(report_sectors);
    image_fd = open(argv[1], O_RDWR);
    struct stat st;
    if (image_fd < 0 || fstat(image_fd, &st) != 0) {
        perror(argv[1]);
        return 2;
    }
    struct blockdev dev = { .name = "image", .sectors = (uint64_t)st.st_size / 512,
                            .read = img_read, .write = img_write, .flush = img_flush };
    int failed = 0;
    int r = fs_mount(&dev);
    if (r != 0)
        failed = fail(r);
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *args[8];
        int n = 0;
        for (char *tok = strtok(line, "\t"); tok && n < 8; tok = strtok(NULL, "\t"))
            args[n++] = tok;
        if (n > 0)
            failed |= run(n, args);
        fflush(stdout);
    }
    return failed;
}
