/* Shell commands for files and disks: ls, cat, write, append, rm, mkdir, df,
 * disk, sum. Every failure prints one "error: ..." line. */
#include <stdint.h>
#include "shell/command.h"
#include "fs/fs.h"
#include "fs/progress.h"
#include "fs/storage.h"
#include "drivers/ata.h"
#include "drivers/console.h"
#include "arch/x86/timer.h"
#include "lib/hash_crc32.h"
#include "lib/hash_sha256.h"
#include "lib/memory.h"
#include "lib/string.h"

static int fs_err(const char *cmd, int err)
{
    kprintf("error: %s: %s\n", cmd, fs_error_message(err));
    return 1;
}

static int usage(const char *text)
{
    kprintf("error: usage: %s\n", text);
    return 1;
}

static void print_entry(const char *name, int is_dir, uint32_t size, const struct fs_time *t)
{
    if (is_dir)
        kprintf("  %10s  ", "<DIR>");
    else
        kprintf("  %10u  ", (unsigned)size);
    kprintf("%04u-%02u-%02u %02u:%02u  %s%s\n", t->year, t->month, t->day, t->hour, t->minute, name,
            is_dir ? "/" : "");
}

static int cmd_ls(int argc, char **argv)
{
    if (argc > 2)
        return usage("ls [PATH]");
    const char *path = argc == 2 ? argv[1] : "/";
    struct fs_stat st;
    int r = fs_stat(path, &st);
    if (r != 0)
        return fs_err("ls", r);
    if (!st.is_dir) {
        print_entry(path, 0, st.size, &st.mtime);
        return 0;
    }
    struct fs_dir *d;
    struct fs_dirent e;
    if ((r = fs_opendir(path, &d)) != 0)
        return fs_err("ls", r);
    unsigned files = 0, dirs = 0;
    uint64_t bytes = 0;
    while ((r = fs_readdir(d, &e)) == 1) {
        print_entry(e.name, e.is_dir, e.size, &e.mtime);
        if (e.is_dir)
            dirs++;
        else
            files++, bytes += e.size;
    }
    fs_closedir(d);
    if (r < 0)
        return fs_err("ls", r);
    kprintf("%u file(s), %llu bytes; %u dir(s)\n", files, (unsigned long long)bytes, dirs);
    return 0;
}
SHELL_COMMAND(ls, "ls [PATH]: list a directory (names, sizes, dates)", cmd_ls);

static int cmd_cat(int argc, char **argv)
{
    if (argc != 2)
        return usage("cat FILE");
    struct fs_file *f;
    int r = fs_open(argv[1], FS_O_READ, &f);
    if (r != 0)
        return fs_err("cat", r);
    static char buf[4096];
    long n;
    while ((n = fs_read(f, buf, sizeof buf)) > 0) {
        console_write(buf, (size_t)n);
        if (console_poll_cancel()) {
            kprintf("\n^C\n");
            break;
        }
    }
    fs_close(f);
    return n < 0 ? fs_err("cat", (int)n) : 0;
}
SHELL_COMMAND(cat, "cat FILE: print a file", cmd_cat);

/* write/append: the text after FILE as typed (command.h), plus a newline. */
static int put_text(const char *cmd, int flags, int argc, char **argv)
{
    if (argc != 3)
        return usage(flags & FS_O_APPEND ? "append FILE TEXT" : "write FILE TEXT");
    struct fs_file *f;
    int r = fs_open(argv[1], FS_O_WRITE | FS_O_CREATE | flags, &f);
    if (r == 0) {
        long w = fs_write(f, argv[2], strlen(argv[2]));
        if (w >= 0)
            w = fs_write(f, "\n", 1);
        fs_close(f);
        r = w < 0 ? (int)w : 0;
    }
    return r ? fs_err(cmd, r) : 0;
}

static int cmd_write(int argc, char **argv) { return put_text("write", FS_O_TRUNC, argc, argv); }
SHELL_TEXT_COMMAND(write, 1, "write FILE TEXT: replace FILE with TEXT and a newline", cmd_write);

static int cmd_append(int argc, char **argv) { return put_text("append", FS_O_APPEND, argc, argv); }
SHELL_TEXT_COMMAND(append, 1, "append FILE TEXT: add TEXT and a newline to FILE", cmd_append);

static int cmd_rm(int argc, char **argv)
{
    if (argc != 2)
        return usage("rm PATH");
    int r = fs_unlink(argv[1]);
    return r ? fs_err("rm", r) : 0;
}
SHELL_COMMAND(rm, "rm PATH: delete a file or an empty directory", cmd_rm);

static int cmd_mkdir(int argc, char **argv)
{
    if (argc != 2)
        return usage("mkdir DIR");
    int r = fs_mkdir(argv[1]);
    return r ? fs_err("mkdir", r) : 0;
}
SHELL_COMMAND(mkdir, "mkdir DIR: create a directory", cmd_mkdir);

static int cmd_df(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage("df");
    struct fs_statfs st;
    int r = fs_statfs(&st);
    if (r != 0)
        return fs_err("df", r);
    uint64_t cb = st.cluster_bytes, total = cb * st.total_clusters, free = cb * st.free_clusters;
    /* Decimal megabytes, like the progress bar. */
    kprintf("FAT32 volume %s: size %.1f MB, used %.1f MB, free %.1f MB (%llu bytes free, %u-byte clusters)\n",
            st.label[0] ? st.label : "(no label)", (double)total / 1e6, (double)(total - free) / 1e6,
            (double)free / 1e6, (unsigned long long)free, (unsigned)cb);
    return 0;
}
SHELL_COMMAND(df, "df: size, used and free space of the volume", cmd_df);

/* Sequential raw read of the boot disk: the driver's own throughput. */
static int disk_bench(struct ata_drive *d, uint32_t mb)
{
    const uint32_t chunk = 4u << 20;
    uint8_t *buf = kaligned_alloc(4096, chunk);
    if (!buf)
        return fs_err("disk", FS_ENOMEM);
    uint64_t bytes = (uint64_t)mb << 20;
    if (bytes > d->bd.sectors * 512)
        bytes = d->bd.sectors * 512 / chunk * chunk;
    uint64_t t0 = timer_ns();
    int r = 0;
    for (uint64_t at = 0; at < bytes && r == 0; at += chunk)
        r = d->bd.read(&d->bd, at / 512, chunk / 512, buf);
    uint64_t ns = timer_ns() - t0;
    kfree(buf);
    if (r != 0) {
        kprintf("error: disk: %s\n", d->bd.error);
        return 1;
    }
    kprintf("%s: read %llu MiB in %llu ms with %s: %.1f MB/s\n", d->name,
            (unsigned long long)(bytes >> 20), (unsigned long long)(ns / 1000000),
            d->dma ? "DMA" : "PIO", ns ? (double)bytes * 1e3 / (double)ns : 0.0);
    return 0;
}

static int cmd_disk(int argc, char **argv)
{
    struct ata_drive *boot = (struct ata_drive *)storage_boot_disk();
    if (argc == 3 && strcmp(argv[1], "dma") == 0 && (!strcmp(argv[2], "on") || !strcmp(argv[2], "off"))) {
        int on = argv[2][1] == 'n';
        int n = ata_set_dma(on);
        if (on && n == 0) {
            kprintf("error: disk: no drive can use DMA\n");
            return 1;
        }
        kprintf("disk transfers: %s\n", on ? "DMA" : "PIO");
        return 0;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "bench") == 0) {
        if (!boot)
            return fs_err("disk", FS_ENOFS);
        uint32_t mb = argc == 3 ? (uint32_t)strtoul(argv[2], NULL, 10) : 64;
        if (mb == 0)
            return usage("disk bench [MiB]");
        return disk_bench(boot, mb);
    }
    if (argc != 1)
        return usage("disk [dma on|off | bench [MiB]]");
    const char *ctl = ata_controller_name();
    kprintf("IDE controller: %s\n", ctl ? ctl : "none on PCI (legacy ports, PIO)");
    if (ata_drive_count() == 0)
        kprintf("no ATA disks\n");
    for (int i = 0; i < ata_drive_count(); i++) {
        struct ata_drive *d = ata_get_drive(i);
        uint64_t s = d->bd.sectors;
        kprintf("%s: %s, %llu MiB (%llu sectors), %s, %s", d->name, d->model[0] ? d->model : "(no model)",
                (unsigned long long)(s >> 11), (unsigned long long)s, d->lba48 ? "LBA48" : "LBA28",
                d->dma ? "DMA" : "PIO");
        if (d->multiple)
            kprintf(", %u sectors per PIO block", d->multiple);
        kprintf("%s\n", d == boot ? ", FAT32 mounted" : "");
    }
    return 0;
}
SHELL_COMMAND(disk, "disk [dma on|off | bench [MiB]]: drives, transfer mode, raw read speed", cmd_disk);

static int cmd_sum(int argc, char **argv)
{
    int sha = argc == 3 && strcmp(argv[1], "-s") == 0;
    if (argc != 2 && !sha)
        return usage("sum [-s] FILE  (CRC-32; -s adds SHA-256)");
    const char *path = argv[argc - 1];
    struct fs_progress prog;
    void *data;
    size_t size;
    fs_progress_begin(&prog, "loading");
    int r = fs_read_whole(path, 4096, &data, &size, fs_progress_update, &prog);
    if (r != 0) {
        fs_progress_finish(&prog);
        return fs_err("sum", r);
    }
    uint64_t load_ns = prog.end_ns - prog.start_ns;
    uint64_t t0 = timer_ns();
    kprintf("crc32 %08x  %s\n", (unsigned)crc32_update(0, data, size), path);
    if (sha) {
        struct sha256 s;
        uint8_t digest[32];
        sha256_init(&s);
        sha256_update(&s, data, size);
        sha256_final(&s, digest);
        kprintf("sha256 ");
        for (int i = 0; i < 32; i++)
            kprintf("%02x", digest[i]);
        kprintf("  %s\n", path);
    }
    kfree(data);
    kprintf("%lu bytes loaded in %llu ms (%.1f MB/s), checksummed in %llu ms\n", (unsigned long)size,
            (unsigned long long)(load_ns / 1000000), load_ns ? (double)size * 1e3 / (double)load_ns : 0.0,
            (unsigned long long)((timer_ns() - t0) / 1000000));
    return 0;
}
SHELL_COMMAND(sum, "sum [-s] FILE: CRC-32 (and SHA-256) of a file, load speed", cmd_sum);
