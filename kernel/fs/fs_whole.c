/* fs_read_whole: load an entire file (settings, hashes, `sum`) into one
 * aligned heap block, in chunks so a progress callback can draw a bar and
 * the user can cancel. */
#include "fs/fs.h"
#include "fs/fs_error.h"
#include "lib/memory.h"

/* A multiple of every FAT cluster size, so chunks keep whole-cluster reads. */
#define CHUNK (1u << 20)

int fs_read_whole(const char *path, size_t align, void **out, size_t *size,
                  fs_progress_fn progress, void *ctx)
{
    struct fs_file *f;
    int r = fs_open(path, FS_O_READ, &f);
    if (r != 0)
        return r;
    size_t total = fs_size(f);
    uint8_t *buf = kaligned_alloc(align, total ? total : 1);
    if (!buf) {
        fs_close(f);
        return fs_fail(FS_ENOMEM, "cannot allocate %lu bytes for %s", (unsigned long)total, path);
    }
    size_t done = 0;
    if (progress && progress(0, total, ctx))
        r = FS_ECANCELED;
    while (r == 0 && done < total) {
        size_t want = total - done < CHUNK ? total - done : CHUNK;
        long got = fs_read(f, buf + done, want);
        if (got < 0)
            r = (int)got;
        else if ((size_t)got != want)
            r = fs_fail(FS_EIO, "file ended after %lu of %lu bytes", (unsigned long)(done + (size_t)got), (unsigned long)total);
        else
            done += want;
        if (r == 0 && progress && progress(done, total, ctx))
            r = FS_ECANCELED;
    }
    fs_close(f);
    if (r != 0) {
        kfree(buf);
        return r;
    }
    *out = buf;
    *size = total;
    return 0;
}
