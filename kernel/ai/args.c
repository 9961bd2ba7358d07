/* args.c: joins a command's arguments back into one text (a prompt, a system
 * prompt). The shell has split them at spaces and removed the quotes. */
#include "ai/args.h"
#include "lib/string.h"

int ai_join_args(int argc, char **argv, char *out, size_t cap)
{
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + (len ? 1 : 0) + n + 1 > cap)
            return -1;
        if (len)
            out[len++] = ' ';
        memcpy(out + len, argv[i], n);
        len += n;
    }
    out[len] = 0;
    return (int)len;
}
