/* SHA-256 (FIPS 180-4), incremental. */
#ifndef LIB_HASH_SHA256_H
#define LIB_HASH_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;          /* message length so far */
    uint8_t block[64];
    size_t fill;             /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t digest[32]);

#endif
