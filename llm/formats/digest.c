/* digest.c: the streaming digest of digest.h (lanes of multiply-xorshift
 * steps, murmur3's finalizer at the end), and its form that lags a read
 * behind. */
#include "formats/digest.h"
#include "bytes.h"

#include "platform.h"

#define C1 0xcc9e2d51u

static uint32_t fmix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* A word into a lane. Both parts are bijections of the lane (an odd
 * multiplier, an xorshift), so any change to one word changes the lane for
 * good; one multiply per word keeps it at about 0.5 ns a byte under
 * emulation (murmur3's three took 1.2). */
static uint32_t mix_word(uint32_t lane, uint32_t word)
{
    lane = (lane ^ word) * C1;
    return lane ^ (lane >> 15);
}

/* One 16-byte step: a word into each lane. */
static void step(uint32_t lane[4], const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        lane[i] = mix_word(lane[i], le32(p + 4 * i));
}

void digest_init(struct digest *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 4; i++)
        d->lane[i] = 0x9747b28cu + (uint32_t)i * 0x61c88647u;
}

void digest_add(struct digest *d, const void *data, size_t len)
{
    const uint8_t *p = data;
    d->length += len;
    if (d->n_tail) {
        while (len && d->n_tail < 16) {
            d->tail[d->n_tail++] = *p++;
            len--;
        }
        if (d->n_tail < 16)
            return;
        step(d->lane, d->tail);
        d->n_tail = 0;
    }
    uint32_t l0 = d->lane[0], l1 = d->lane[1], l2 = d->lane[2], l3 = d->lane[3];
    for (; len >= 16; p += 16, len -= 16) {
        /* The lanes in locals: kept in registers, not memory. */
        l0 = mix_word(l0, le32(p));
        l1 = mix_word(l1, le32(p + 4));
        l2 = mix_word(l2, le32(p + 8));
        l3 = mix_word(l3, le32(p + 12));
    }
    d->lane[0] = l0;
    d->lane[1] = l1;
    d->lane[2] = l2;
    d->lane[3] = l3;
    memcpy(d->tail, p, len);
    d->n_tail = (uint32_t)len;
}

void digest_final(const struct digest *d, uint8_t out[DIGEST_BYTES])
{
    uint32_t lane[4];
    memcpy(lane, d->lane, sizeof lane);
    uint8_t last[16] = { 0 };
    memcpy(last, d->tail, d->n_tail);
    last[15] = (uint8_t)(0x80u | d->n_tail); /* the padding says how much was real */
    step(lane, last);
    uint32_t lo = (uint32_t)d->length, hi = (uint32_t)(d->length >> 32);
    for (int i = 0; i < 4; i++)
        lane[i] ^= lo + (uint32_t)i * hi;
    /* Every lane reaches every output word. */
    uint32_t s = lane[0] + lane[1] + lane[2] + lane[3];
    for (int i = 0; i < 4; i++) {
        uint32_t w = fmix(lane[i] + s + (uint32_t)i);
        for (int b = 0; b < 4; b++)
            out[4 * i + b] = (uint8_t)(w >> (8 * b));
    }
}

/* Bytes taken in per call of the work while a read waits: a few
 * microseconds under emulation, so the end of a transfer is seen soon. */
#define DIGEST_SLICE (16u << 10)

void digest_behind_init(struct digest_behind *b)
{
    digest_init(&b->d);
    memset(b->pending, 0, sizeof b->pending);
}

/* Takes in up to max bytes of the oldest pending read. */
static void take_in(struct digest_behind *b, size_t max)
{
    size_t n = b->pending[0].left < max ? b->pending[0].left : max;
    if (!n)
        return;
    digest_add(&b->d, b->pending[0].p, n);
    b->pending[0].p += n;
    b->pending[0].left -= n;
    if (!b->pending[0].left) {
        memmove(b->pending, b->pending + 1, sizeof b->pending[0] * (DIGEST_PENDING - 1));
        memset(&b->pending[DIGEST_PENDING - 1], 0, sizeof b->pending[0]);
    }
}

static void digest_some(void *ctx)
{
    take_in(ctx, DIGEST_SLICE);
}

void digest_catch_up(struct digest_behind *b)
{
    while (b->pending[0].left)
        take_in(b, b->pending[0].left);
}

/* Leaves data[0..len) pending (taking in the oldest pending bytes first
 * when DIGEST_PENDING reads are pending already). */
static void digest_later(struct digest_behind *b, const void *data, size_t len)
{
    if (!len)
        return;
    if (b->pending[DIGEST_PENDING - 1].left)
        take_in(b, b->pending[0].left);
    uint32_t i = 0;
    while (b->pending[i].left)
        i++;
    b->pending[i].p = data;
    b->pending[i].left = len;
}

/* Whether pending read i lies in [p, p + len). */
static int overlaps(const struct digest_behind *b, uint32_t i, const uint8_t *p, size_t len)
{
    uintptr_t q = (uintptr_t)b->pending[i].p, at = (uintptr_t)p;
    return b->pending[i].left && q < at + len && at < q + b->pending[i].left;
}

int digest_read(struct digest_behind *b, const struct llm_file *f, uint64_t offset, void *dst, size_t len,
                char *err, size_t errlen)
{
    /* The pending reads up to the newest one in dst's place go first. */
    uint32_t before = 0;
    for (uint32_t i = 0; i < DIGEST_PENDING; i++)
        if (overlaps(b, i, dst, len))
            before = i + 1;
    while (before--)
        take_in(b, b->pending[0].left);
    llm_while_reading(b->pending[0].left ? digest_some : NULL, b);
    int rc = f->read(f->ctx, offset, dst, len, err, errlen);
    llm_while_reading(NULL, NULL);
    if (rc != 0)
        return -1;
    digest_later(b, dst, len);
    return 0;
}
