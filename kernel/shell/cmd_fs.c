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

/* cat shows text as it is and everything else as visible escapes: a file
 * may hold any bytes, and raw control bytes would drive the terminal on the
 * serial line (ESC c resets it). Well-formed UTF-8 (Unicode's table of
 * well-formed sequences: no overlong forms, surrogates or values past
 * U+10FFFF) passes, with tab, line feed and carriage return; C0 and C1
 * controls, DEL and every byte of a malformed sequence become \xNN. */
struct text_filter {
    uint8_t pending[4];          /* a sequence cut by the end of a read */
    int npending;
    int last;                    /* the last byte shown, -1 before any */
};

/* Bytes in a well-formed sequence led by `lead` (0: not a lead byte), and
 * the range its second byte must fall in. */
static int utf8_shape(uint8_t lead, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (lead == 0xE0) *lo = 0xA0;
        if (lead == 0xED) *hi = 0x9F;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (lead == 0xF0) *lo = 0x90;
        if (lead == 0xF4) *hi = 0x8F;
        return 4;
    }
    return 0;
}

static void show_escaped(struct text_filter *t, const uint8_t *b, int n)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        char e[4] = { '\\', 'x', hex[b[i] >> 4], hex[b[i] & 15] };
        console_write(e, 4);
    }
    t->last = hex[b[n - 1] & 15];
}

/* Show the first complete item of b[0..n): returns the bytes used, or 0 when
 * they may be the start of a sequence that continues in the next read. */
static int show_item(struct text_filter *t, const uint8_t *b, int n, int at_end)
{
    uint8_t c = b[0], lo, hi;
    if (c < 0x80) {
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            show_escaped(t, b, 1);
        else if (c == 0x7F)
            show_escaped(t, b, 1);
        else {
            console_write((const char *)b, 1);
            t->last = c;
        }
        return 1;
    }
    int len = utf8_shape(c, &lo, &hi);
    for (int k = 1; k < len; k++) {
        if (k >= n)
            return at_end ? (show_escaped(t, b, 1), 1) : 0;
        if (b[k] < (k == 1 ? lo : 0x80) || b[k] > (k == 1 ? hi : 0xBF)) {
            len = 0;
            break;
        }
    }
    if (len == 0 || (c == 0xC2 && b[1] < 0xA0)) {
        /* Malformed, or a C1 control (U+0080-U+009F): escape the bytes. */
        show_escaped(t, b, len ? 2 : 1);
        return len ? 2 : 1;
    }
    console_write((const char *)b, (size_t)len);
    t->last = b[len - 1];
    return len;
}

#define CAT_CHUNK 4096

static void filter_text(struct text_filter *t, const uint8_t *b, size_t n, int at_end)
{
    static uint8_t joined[CAT_CHUNK + sizeof t->pending];
    size_t total = (size_t)t->npending + n, i = 0;
    memcpy(joined, t->pending, (size_t)t->npending);
    memcpy(joined + t->npending, b, n);
    t->npending = 0;
    while (i < total) {
        int used = show_item(t, joined + i, (int)(total - i), at_end);
        if (used == 0) {
            /* Fewer than four bytes: kept for the next read. */
            memcpy(t->pending, joined + i, total - i);
            t->npending = (int)(total - i);
            return;
        }
        i += (size_t)used;
    }
}

static int cmd_cat(int argc, char **argv)
{
    if (argc != 2)
        return usage("cat FILE");
    struct fs_file *f;
    int r = fs_open(argv[1], FS_O_READ, &f);
    if (r != 0)
        return fs_err("cat", r);
    static uint8_t buf[CAT_CHUNK];
    struct text_filter t = { .npending = 0, .last = -1 };
    long n;
    while ((n = fs_read(f, buf, sizeof buf)) > 0) {
        filter_text(&t, buf, (size_t)n, 0);
        if (console_poll_cancel()) {
            kprintf("\n^C\n");
            t.last = '\n';
            break;
        }
    }
    if (n == 0)
        filter_text(&t, buf, 0, 1);
    /* The prompt starts on a line of its own even if the file's last line
     * has no newline. */
    if (t.last != -1 && t.last != '\n')
        console_write("\n", 1);
    fs_close(f);
    return n < 0 ? fs_err("cat", (int)n) : 0;
}
SHELL_COMMAND(cat, "cat FILE: print a file", cmd_cat);

/* write/append: the text after FILE as typed (command.h), plus a newline;
 * the file holds its old or its new text even if the power fails meanwhile. */
static int put_text(const char *cmd, int append, int argc, char **argv)
{
    if (argc != 3)
        return usage(append ? "append FILE TEXT" : "write FILE TEXT");
    size_t len = strlen(argv[2]);
    char *text = kmalloc(len + 1);
    if (!text)
        return fs_err(cmd, FS_ENOMEM);
    memcpy(text, argv[2], len);
    text[len] = '\n';
    int r = append ? fs_append_whole(argv[1], text, len + 1) : fs_write_whole(argv[1], text, len + 1);
    kfree(text);
    return r ? fs_err(cmd, r) : 0;
}

static int cmd_write(int argc, char **argv) { return put_text("write", 0, argc, argv); }
SHELL_TEXT_COMMAND(write, 1, "write FILE TEXT: replace FILE with TEXT and a newline", cmd_write);

static int cmd_append(int argc, char **argv) { return put_text("append", 1, argc, argv); }
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
    /* An option where the file should be ("sum -s") is a usage error, not a
     * file name. */
    if ((argc != 2 && !sha) || argv[argc - 1][0] == '-')
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
