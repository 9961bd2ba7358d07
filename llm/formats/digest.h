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

#include "llm.h"

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

/* A digest that lags behind the reading: the bytes of the last
 * DIGEST_PENDING reads are left pending and taken in, oldest first, while
 * the next read waits for the disk (llm_while_reading), or when a read
 * beyond them comes, or before a read into their place. Two, so that a
 * small read (a record before an array) does not force the big one before
 * it to be taken in at once. Pending bytes must stay in place until then
 * (a reader that alternates two buffers keeps the overlap). The result is
 * digest_add's over the same bytes in the same order. */
#define DIGEST_PENDING 2

struct digest_behind {
    struct digest d;
    struct {
        const uint8_t *p;
        size_t left;
    } pending[DIGEST_PENDING]; /* oldest first; unused ones empty */
};

void digest_behind_init(struct digest_behind *b);
/* Takes in what is still pending. */
void digest_catch_up(struct digest_behind *b);
/* len bytes at offset of f into dst (f->read), the pending bytes taken in
 * meanwhile (those in dst's place before); then they are pending too. 0, or
 * -1 with err set. */
int digest_read(struct digest_behind *b, const struct llm_file *f, uint64_t offset, void *dst, size_t len,
                char *err, size_t errlen);

#endif
