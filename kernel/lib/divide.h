/* divide.h: 64-by-32-bit unsigned division without libgcc.
 * A 32-bit kernel cannot divide 64-bit integers in one instruction and the
 * compiler would call libgcc's __udivdi3; two 32-bit 'divl' steps suffice
 * when the divisor fits in 32 bits (printing numbers, decimal conversion). */
#ifndef LIB_DIVIDE_H
#define LIB_DIVIDE_H

#include <stdint.h>

/* (hi:lo) / d for hi < d: the quotient fits in 32 bits. */
static inline uint32_t divl_u32(uint32_t hi, uint32_t lo, uint32_t d, uint32_t *rem)
{
    uint32_t q, r;
    __asm__("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    *rem = r;
    return q;
}

/* n / d with *rem = n % d. */
static inline uint64_t div_u64_u32(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint32_t hi = (uint32_t)(n >> 32), r;
    uint32_t qhi = hi / d;
    uint32_t qlo = divl_u32(hi % d, (uint32_t)n, d, &r);
    *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

#endif
