/* Turns FS_E* codes into one readable line, with the detail recorded by the
 * code that found the problem (which cluster, which boot-sector field...). */
#include <stdarg.h>
#include "fs/fs.h"
#include "fs/fs_error.h"
#include "lib/printf.h"

static char detail[160];
static int detail_err;

int fs_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    detail_err = err;
    return err;
}

void fs_clear_error(void)
{
    detail[0] = 0;
    detail_err = 0;
}

static const char *base_message(int err)
{
    switch (err) {
    case FS_ENOENT: return "no such file or directory";
    case FS_EEXIST: return "already exists";
    case FS_ENOTDIR: return "not a directory";
    case FS_EISDIR: return "is a directory";
    case FS_ENOSPC: return "disk full";
    case FS_EIO: return "disk I/O error";
    case FS_ECORRUPT: return "filesystem corrupt";
    case FS_EINVAL: return "invalid argument";
    case FS_ENOMEM: return "out of memory";
    case FS_ENOTEMPTY: return "directory not empty";
    case FS_ENOFS: return "no filesystem mounted";
    case FS_EBADFS: return "not a valid FAT32 volume";
    case FS_EFBIG: return "file too large for FAT32";
    case FS_ECANCELED: return "canceled";
    case FS_EROFS: return "read-only volume";
    default: return "unknown filesystem error";
    }
}

const char *fs_error_message(int err)
{
    static char line[256];
    if (detail_err == err && detail[0])
        snprintf(line, sizeof line, "%s (%s)", base_message(err), detail);
    else
        snprintf(line, sizeof line, "%s", base_message(err));
    return line;
}
