/* Host harness for kernel/lib's CRC-32 and SHA-256: hashes stdin, fed in
 * pieces of the sizes given as arguments (cycled), and prints
 * "<crc32 hex> <sha256 hex>". Piece sizes exercise the block buffering. */
#include <stdio.h>
#include <stdlib.h>
#include "lib/hash_crc32.h"
#include "lib/hash_sha256.h"

int main(int argc, char **argv)
{
    static unsigned char data[1 << 22];
    size_t n = fread(data, 1, sizeof data, stdin);
    uint32_t crc = 0;
    struct sha256 s;
    sha256_init(&s);
    size_t at = 0;
    for (int i = 1; at < n; i = i + 1 < argc ? i + 1 : 1) {
        size_t piece = argc > 1 ? strtoul(argv[i], NULL, 0) : n;
        if (piece == 0 || piece > n - at)
            piece = n - at;
        /* Odd offsets reach the unaligned head of the CRC loop. */
        crc = crc32_update(crc, data + at, piece);
        sha256_update(&s, data + at, piece);
        at += piece;
    }
    uint8_t d[32];
    sha256_final(&s, d);
    printf("%08x ", crc);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    return 0;
}
