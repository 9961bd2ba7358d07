/* wrap_harness.c: kernel/ai/wrap.c on the host. Reads text on stdin, feeds it
 * to the word wrap in pieces of argv[1] bytes (the way tokens arrive), the
 * first line indented by argv[2] columns (default 0), and writes what the
 * console would show to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include "ai/wrap.h"

/* The console the wrap writes to (drivers/console.h in the kernel). */
void console_write(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

int main(int argc, char **argv)
{
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, stdin);
    size_t piece = argc > 1 ? (size_t)atoi(argv[1]) : 1;
    if (piece == 0)
        piece = 1;
    struct wrap w;
    wrap_begin(&w, argc > 2 ? atoi(argv[2]) : 0);
    for (size_t at = 0; at < len; at += piece)
        wrap_write(&w, text + at, len - at < piece ? len - at : piece);
    wrap_end(&w);
    return 0;
}
