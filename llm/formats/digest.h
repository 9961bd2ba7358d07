/* digest.h: a fast 128-bit digest of a stream of bytes, the identity of a
 * model file's contents for its prepared weights (formats/prepared.h) and
 * the check of a prepared file's own bytes.
 *
 * Not cryptographic: it tells a changed, damaged or truncated file from the
 * one the weights were prepared from, not a file made to collide. Four
 * independent 32-bit lanes of multiply-xorshift steps over 16-byte steps:
 * plain integer instructions, cheap under emulation, where a hash of the
 * whole model must cost less than reading it. The result depends only on
 * the bytes, never on how they are cut into digest_add calls.
 */
#ifndef LLM_DIGEST_H
#define LLM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_BYTES 16

struct digest {
    uint32_t lane[4];
    uint64_t length;
    uint8_t tail[16]; /* bytes of an incomplete step */
    uint32_t n_tail;
};

void digest_init(struct digest *d);
void digest_add(struct digest *d, const void *data, size_t len);
void digest_final(const struct digest *d, uint8_t out[DIGEST_BYTES]);

#endif
