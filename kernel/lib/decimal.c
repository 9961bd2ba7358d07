/* decimal.c: exact binary-to-decimal conversion with a small big number in
 * base 10^9. m * 2^e with e < 0 equals m * 5^-e / 10^-e, so both cases are a
 * big integer (m times powers of 2 or of 5) plus a decimal point position. */
#include "lib/decimal.h"
#include "lib/divide.h"

#define LIMB_BASE 1000000000u
#define MAX_LIMBS ((DECIMAL_MAX_DIGITS + 8) / 9)

struct bignum {
    uint32_t limb[MAX_LIMBS]; /* little endian, each < 10^9 */
    int count;
};

/* factor must be < 2^31 so that the high half stays below 10^9 for divl. */
static void big_mul_small(struct bignum *b, uint32_t factor)
{
    uint32_t carry = 0;
    for (int i = 0; i < b->count; i++) {
        uint64_t t = (uint64_t)b->limb[i] * factor + carry;
        uint32_t rem;
        carry = divl_u32((uint32_t)(t >> 32), (uint32_t)t, LIMB_BASE, &rem);
        b->limb[i] = rem;
    }
    /* The carry may exceed one limb (factor > 10^9). */
    for (; carry; carry /= LIMB_BASE)
        b->limb[b->count++] = carry % LIMB_BASE;
}

static void big_mul_pow(struct bignum *b, uint32_t base, uint32_t chunk_factor,
                        int chunk_exp, int exp)
{
    for (; exp >= chunk_exp; exp -= chunk_exp)
        big_mul_small(b, chunk_factor);
    uint32_t f = 1;
    while (exp-- > 0)
        f *= base;
    big_mul_small(b, f);
}

void decimal_from_double(struct decimal *dec, uint64_t bits)
{
    int field = (int)((bits >> 52) & 0x7ff);
    uint64_t m = bits & ((1ull << 52) - 1);
    int e = (field ? field : 1) - 1075;
    if (field)
        m |= 1ull << 52;
    dec->n = 0;
    dec->dp = 0;
    if (m == 0)
        return;
    while (!(m & 1) && e < 0) {
        m >>= 1;
        e++;
    }

    struct bignum b = { { 0 }, 0 };
    while (m) {
        uint32_t rem;
        m = div_u64_u32(m, LIMB_BASE, &rem);
        b.limb[b.count++] = rem;
    }
    if (e > 0)
        big_mul_pow(&b, 2, 1u << 28, 28, e);
    else if (e < 0)
        big_mul_pow(&b, 5, 1220703125u, 13, -e); /* 5^13 */

    /* Most significant limb without leading zeros, the others with 9 digits. */
    char *p = dec->d;
    uint32_t top = b.limb[b.count - 1];
    char tmp[10];
    int t = 0;
    do {
        tmp[t++] = (char)('0' + top % 10);
        top /= 10;
    } while (top);
    while (t > 0)
        *p++ = tmp[--t];
    for (int i = b.count - 2; i >= 0; i--) {
        uint32_t v = b.limb[i];
        for (int k = 8; k >= 0; k--) {
            p[k] = (char)('0' + v % 10);
            v /= 10;
        }
        p += 9;
    }
    dec->n = (int)(p - dec->d);
    dec->dp = dec->n - (e < 0 ? -e : 0);
}

char decimal_digit(const struct decimal *dec, int pos)
{
    return (pos >= 0 && pos < dec->n) ? dec->d[pos] : '0';
}

int decimal_exponent(const struct decimal *dec)
{
    return dec->n ? dec->dp - 1 : 0;
}

void decimal_round(struct decimal *dec, int keep)
{
    if (keep >= dec->n)
        return;
    if (keep < 0) {
        dec->n = 0;                /* below half of the last kept place */
        return;
    }
    char first = dec->d[keep];
    int round_up = first > '5';
    if (first == '5') {
        int rest_nonzero = 0;
        for (int i = keep + 1; i < dec->n; i++)
            rest_nonzero |= dec->d[i] != '0';
        /* An exact tie goes to the even neighbour (the digit before is 0 when keep is 0). */
        round_up = rest_nonzero || (keep > 0 && ((dec->d[keep - 1] - '0') & 1));
    }
    dec->n = keep;
    if (!round_up)
        return;
    int i = keep - 1;
    while (i >= 0 && dec->d[i] == '9')
        dec->d[i--] = '0';
    if (i >= 0) {
        dec->d[i]++;
    } else {
        /* Carry out of the leading digit: 99.9 -> 100; the zeros are implied. */
        dec->d[0] = '1';
        dec->n = 1;
        dec->dp++;
    }
}
