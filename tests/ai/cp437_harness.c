/* cp437_harness.c: kernel/drivers/cp437.c on the host. Reads UTF-8 bytes on
 * stdin, feeds them one by one to the decoder and writes the VGA glyph bytes
 * it produces to stdout. */
#include <stdio.h>
#include "drivers/cp437.h"

int main(void)
{
    struct utf8_decoder d = { 0, 0, 0 };
    int c;
    while ((c = getchar()) != EOF) {
        uint8_t out[2];
        int n = cp437_feed(&d, (uint8_t)c, out);
        fwrite(out, 1, (size_t)n, stdout);
    }
    return 0;
}
