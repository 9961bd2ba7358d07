/* math.c: single-precision math functions for the kernel and the engine.
 *
 * Each function reduces its argument exactly or nearly so, evaluates a short
 * polynomial in double precision on the reduced range, and rounds once to
 * float. The double-precision core is accurate to about 1e-15 relative, so the
 * float result is the correctly rounded one except within ~1e-7 ulp of a
 * rounding boundary: within 1 ulp of glibc everywhere (measured by
 * tests/lib/math_vs_glibc.c over 2^24 inputs per function).
 *
 * Constants were derived with 120-digit decimal arithmetic and are written as
 * hexadecimal floats so the compiler reads them exactly.
 */
#include "lib/math.h"

#include <stdint.h>

static uint32_t bits_of(float x)
{
    union { float f; uint32_t u; } v = { x };
    return v.u;
}

static float float_of(uint32_t u)
{
    union { uint32_t u; float f; } v = { u };
    return v.f;
}

static double double_of(uint64_t u)
{
    union { uint64_t u; double d; } v = { u };
    return v.d;
}

/* ---- exact functions ---- */

float fabsf(float x)
{
    return float_of(bits_of(x) & 0x7fffffffu);
}

float sqrtf(float x)
{
    /* The SSE instruction is correctly rounded and handles every special case. */
    __asm__("sqrtss %1, %0" : "=x"(x) : "x"(x));
    return x;
}

/* Rounds toward zero by clearing the fraction bits; *inexact says whether any
 * were set. Values without fraction bits (large, inf, nan) come back as is. */
static float truncate(float x, int *inexact)
{
    uint32_t u = bits_of(x);
    int exponent = (int)((u >> 23) & 0xff) - 127;
    *inexact = 0;
    if (exponent >= 23)
        return exponent == 128 ? x + x : x; /* x + x quiets a signalling nan */
    if (exponent < 0) {
        *inexact = (u & 0x7fffffffu) != 0;
        return float_of(u & 0x80000000u);   /* keeps the sign of zero */
    }
    uint32_t fraction = 0x007fffffu >> exponent;
    *inexact = (u & fraction) != 0;
    return float_of(u & ~fraction);
}

float floorf(float x)
{
    int inexact;
    float t = truncate(x, &inexact);
    return (inexact && x < 0) ? t - 1.0f : t;
}

float ceilf(float x)
{
    int inexact;
    float t = truncate(x, &inexact);
    return (inexact && x > 0) ? t + 1.0f : t;
}

float roundf(float x)
{
    int inexact;
    float t = truncate(x, &inexact);
    if (!inexact)
        return t;
    /* |x - t| < 1 and both are exact in double: halfway cases go away from zero. */
    double diff = (double)x - (double)t;
    if (diff >= 0.5)
        return t + 1.0f;
    if (diff <= -0.5)
        return t - 1.0f;
    return t;
}

/* ---- exp ---- */

/* 2^(j/32) for j = 0..31, correctly rounded. */
static const double exp2_table[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
};

#define LN2 0x1.62e42fefa39efp-1
#define LN2_LO 0x1.abc9e3b39803fp-56      /* ln 2 - LN2 */
#define INV_LN2_32 0x1.71547652b82fep+5   /* 32 / ln 2 */
/* Adding then subtracting 1.5 * 2^52 rounds a double to the nearest integer
 * (|value| < 2^51), leaving that integer in the low bits of its encoding. */
#define ROUND_SHIFT 0x1.8p52

/* e^x in double for -160 < x < 100, relative error about 1e-16. With
 * x = (32m + j) ln2/32 + r and |r| <= ln2/64, e^x = 2^m * 2^(j/32) * e^r. */
static double exp_core(double x)
{
    double shifted = x * INV_LN2_32 + ROUND_SHIFT;
    union { double d; uint64_t u; } k_bits = { shifted };
    int32_t k = (int32_t)k_bits.u;
    double kd = shifted - ROUND_SHIFT;
    double r = (x - kd * (LN2 / 32)) - kd * (LN2_LO / 32);
    /* e^r for |r| <= 0.0109: the r^6 term is below 2e-15. */
    double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))));
    double scale = double_of((uint64_t)(int64_t)((k >> 5) + 1023) << 52);
    return exp2_table[k & 31] * scale * p;
}

float expf(float x)
{
    if (x != x)
        return x + x;
    if (x > 100.0f)
        return float_of(0x7f800000u);         /* overflow: +inf */
    if (x < -160.0f)
        return 0.0f;                          /* underflow */
    return (float)exp_core(x);
}

/* ---- log ---- */

/* ln m for m in [sqrt(1/2), sqrt(2)] via s = (m-1)/(m+1), ln m = 2 atanh s
 * = 2(s + s^3/3 + s^5/5 + ...); |s| <= 0.172, the s^21 term is below 1e-17. */
static double log_reduced(double m)
{
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 +
               s2 * (1.0 / 13 + s2 * (1.0 / 15 + s2 * (1.0 / 17 + s2 * (1.0 / 19))))))));
    return 2.0 * s + 2.0 * s * s2 * p;
}

/* ln x in double for a finite float x > 0 (denormals included). */
static double log_core(float x)
{
    uint32_t u = bits_of(x);
    int exponent = (int)(u >> 23) - 127;
    if ((u >> 23) == 0) {                     /* denormal: normalise by 2^23 */
        u = bits_of(x * 0x1p23f);
        exponent = (int)(u >> 23) - 127 - 23;
    }
    /* Mantissa in [sqrt(1/2), sqrt(2)): 0x3504f3 is sqrt(2)'s fraction. */
    uint32_t fraction = u & 0x7fffffu;
    if (fraction >= 0x3504f3u) {
        fraction |= 126u << 23;               /* m / 2 */
        exponent++;
    } else {
        fraction |= 127u << 23;
    }
    double m = float_of(fraction);
    return exponent * LN2 + (exponent * LN2_LO + log_reduced(m));
}

float logf(float x)
{
    uint32_t u = bits_of(x);
    if (x != x)
        return x + x;
    if ((u & 0x7fffffffu) == 0)
        return -float_of(0x7f800000u);        /* log(±0) = -inf */
    if (u >> 31)
        return float_of(0x7fc00000u);         /* log of a negative number: nan */
    if (u == 0x7f800000u)
        return x;
    return (float)log_core(x);
}

/* ---- pow ---- */

/* 2 if y is an odd integer, 1 if an even integer, 0 if not an integer. */
static int integer_kind(float y)
{
    uint32_t u = bits_of(y) & 0x7fffffffu;
    int exponent = (int)(u >> 23) - 127;
    if (exponent >= 24)
        return exponent == 128 ? 0 : 1;       /* inf, nan: not integers */
    if (exponent < 0)
        return u == 0 ? 1 : 0;
    uint32_t mantissa = (u & 0x7fffffu) | 0x800000u;
    if (mantissa & (0x7fffffu >> exponent))
        return 0;
    return ((mantissa >> (23 - exponent)) & 1) ? 2 : 1;
}

float powf(float x, float y)
{
    const float inf = float_of(0x7f800000u);
    uint32_t ux = bits_of(x), uy = bits_of(y);
    uint32_t ax = ux & 0x7fffffffu, ay = uy & 0x7fffffffu;

    /* A signalling nan (quiet bit clear) stays a nan even where a quiet one gives 1. */
    int x_snan = ax > 0x7f800000u && !(ax & 0x400000u), y_snan = ay > 0x7f800000u && !(ay & 0x400000u);
    if ((ay == 0 && !x_snan) || (ux == 0x3f800000u && !y_snan))
        return 1.0f;                          /* pow(x, ±0) = pow(1, y) = 1, even for a quiet nan */
    if (ax > 0x7f800000u || ay > 0x7f800000u)
        return x + y;                         /* nan */
    int kind = integer_kind(y);
    int negative_result = (ux >> 31) && kind == 2;
    if (ay == 0x7f800000u) {                  /* y = ±inf */
        if (ax == 0x3f800000u)
            return 1.0f;                      /* pow(-1, ±inf) */
        return ((ax > 0x3f800000u) == !(uy >> 31)) ? inf : 0.0f;
    }
    if (ax == 0 || ax == 0x7f800000u) {       /* x = ±0 or ±inf */
        int huge = (ax == 0) == (uy >> 31);   /* 0^negative and inf^positive */
        float r = huge ? inf : 0.0f;
        return negative_result ? -r : r;
    }
    if ((ux >> 31) && kind == 0)
        return float_of(0x7fc00000u);         /* negative base, non-integer power */

    double z = (double)y * log_core(float_of(ax));
    float r;
    if (z > 100.0)
        r = inf;
    else if (z < -160.0)
        r = 0.0f;
    else
        r = (float)exp_core(z);
    return negative_result ? -r : r;
}

/* ---- tanh ---- */

float tanhf(float x)
{
    uint32_t ax = bits_of(x) & 0x7fffffffu;
    if (ax > 0x7f800000u)
        return x + x;
    double a = fabsf(x), t;
    if (ax >= 0x41b00000u) {                  /* |x| >= 22: tanh rounds to ±1 */
        t = 1.0;
    } else if (ax < 0x3e000000u) {            /* |x| < 1/8: the odd series, the x^19 term below 2e-18 */
        double a2 = a * a;
        t = a + a * a2 * (-1.0 / 3 + a2 * (2.0 / 15 + a2 * (-17.0 / 315 + a2 * (62.0 / 2835 +
            a2 * (-1382.0 / 155925 + a2 * (21844.0 / 6081075 + a2 * (-929569.0 / 638512875 +
            a2 * (6404582.0 / 10854718875.0))))))));
    } else {
        /* tanh a = (e^2a - 1)/(e^2a + 1); e^2a - 1 >= 0.28, so the subtraction
         * costs at most 4e-16 relative. */
        double e = exp_core(2.0 * a) - 1.0;
        t = e / (e + 2.0);
    }
    return (float)((bits_of(x) >> 31) ? -t : t);
}

/* ---- sin, cos ---- */

/* Bits of 2/pi after the binary point, 256 of them (enough for every float:
 * the largest exponent needs bits up to position 199). */
static const uint32_t two_over_pi_bits[8] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
    0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561,
};

/* 32 bits of 2/pi starting at bit position 'pos' (1 = the 2^-1 bit). */
static uint32_t two_over_pi_word(int pos)
{
    int word = (pos - 1) / 32, shift = (pos - 1) % 32;
    uint32_t hi = two_over_pi_bits[word];
    uint32_t lo = word + 1 < 8 ? two_over_pi_bits[word + 1] : 0;
    return shift ? (hi << shift) | (lo >> (32 - shift)) : hi;
}

#define PI_2 0x1.921fb54442d18p+0
/* pi/2 = PIO2_1 + PIO2_2 + PIO2_3 to 130 bits; the first two parts have 36
 * significant bits, so k * PIO2_1 and k * PIO2_2 are exact for k < 2^17. */
#define PIO2_1 0x1.921fb54440000p+0
#define PIO2_2 0x1.68c234c4c0000p-39
#define PIO2_3 0x1.98a2e03707345p-77
#define INV_PIO2 0x1.45f306dc9c883p-1

/* Reduces |x| >= pi/4 (finite) to r in [-pi/4, pi/4] with |x| = q pi/2 + r
 * (mod 2 pi); returns q mod 4. Payne-Hanek: |x| = m 2^e with a 24-bit integer
 * m; only a 96-bit window of 2/pi matters, since earlier bits give multiples
 * of 4 and later ones fall below 2^-70. Integer arithmetic throughout, which
 * also suits software emulation where integer operations are the cheap ones. */
static int reduce_half_pi(float ax, double *r)
{
    uint32_t u = bits_of(ax);
    uint32_t m = (u & 0x7fffffu) | 0x800000u;
    int e = (int)(u >> 23) - 150;
    int start = e - 1 > 1 ? e - 1 : 1;        /* first bit whose product is not a multiple of 4 */
    uint32_t w0 = two_over_pi_word(start), w1 = two_over_pi_word(start + 32),
             w2 = two_over_pi_word(start + 64);
    /* p = m * (w0:w1:w2), 120 bits in four 32-bit limbs, p3 most significant. */
    uint64_t t2 = (uint64_t)m * w2;
    uint64_t t1 = (uint64_t)m * w1 + (t2 >> 32);
    uint64_t t0 = (uint64_t)m * w0 + (t1 >> 32);
    uint32_t p[4] = { (uint32_t)(t0 >> 32), (uint32_t)t0, (uint32_t)t1, (uint32_t)t2 };
    /* |x| 2/pi = p 2^-(start + 95 - e): shift p left so the binary point sits
     * above bit 127; the integer part (mod 4) falls off the top except 2 bits. */
    int point = start + 95 - e;               /* 94..120 fraction bits */
    int left = 128 - point;                   /* 8..34 */
    uint32_t q[4];
    for (int i = 0; i < 4; i++) {
        int bit = i * 32 + left;              /* source position of q[i]'s top bit, from the top */
        int word = bit / 32, off = bit % 32;
        uint32_t hi = word < 4 ? p[word] : 0, lo = word + 1 < 4 ? p[word + 1] : 0;
        q[i] = off ? (hi << off) | (lo >> (32 - off)) : hi;
    }
    /* Integer part mod 4: the two bits just above the binary point. */
    int bit = left - 2;
    int word = bit / 32, off = bit % 32;
    uint32_t top = off ? (p[word] << off) | (p[word + 1] >> (32 - off)) : p[word];
    int quadrant = (int)(top >> 30);
    /* A fraction >= 1/2 rounds up to the next quadrant and becomes negative:
     * reading the top word as signed does exactly that. */
    if (q[0] >> 31)
        quadrant++;
    double frac = (double)(int32_t)q[0] * 0x1p-32 + (double)q[1] * 0x1p-64 + (double)q[2] * 0x1p-96;
    *r = frac * PI_2;
    return quadrant & 3;
}

/* sin r and cos r for |r| <= pi/4 (a little more after a rounded quotient):
 * the first omitted terms, r^17/17! and r^18/18!, are below 5e-17. */
static double sin_reduced(double r)
{
    double r2 = r * r;
    return r + r * r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880 +
               r2 * (-1.0 / 39916800 + r2 * (1.0 / 6227020800.0 + r2 * (-1.0 / 1307674368000.0)))))));
}

static double cos_reduced(double r)
{
    double r2 = r * r;
    return 1.0 + r2 * (-1.0 / 2 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 +
                 r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 + r2 * (-1.0 / 87178291200.0 +
                 r2 * (1.0 / 20922789888000.0))))))));
}

/* The same for pi/4 <= |x| < 2^17 (angles such as RoPE's), faster: with
 * k = round(|x| 2/pi) < 2^17, |x| - k PIO2_1 is exact (both are multiples of
 * 2^-35 below 2^18) and so is k PIO2_2, so r carries ~2^-100 absolute error,
 * far below the smallest |r| any float in this range produces. */
static int reduce_half_pi_medium(float ax, double *r)
{
    double x = ax;
    double shifted = x * INV_PIO2 + ROUND_SHIFT;
    union { double d; uint64_t u; } k_bits = { shifted };
    double k = shifted - ROUND_SHIFT;
    *r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
    return (int)(k_bits.u & 3);
}

/* sin (offset 0) or cos (offset 1) of a finite |x|, by quadrant. */
static double sincos_abs(float ax, int offset)
{
    double r = ax;
    int quadrant = 0;
    uint32_t u = bits_of(ax);
    if (u >= 0x48000000u)                     /* |x| >= 2^17 */
        quadrant = reduce_half_pi(ax, &r);
    else if (u >= 0x3f490fdbu)                /* |x| >= pi/4 (the float above pi/4) */
        quadrant = reduce_half_pi_medium(ax, &r);
    quadrant = (quadrant + offset) & 3;
    double v = (quadrant & 1) ? cos_reduced(r) : sin_reduced(r);
    return (quadrant & 2) ? -v : v;
}

float sinf(float x)
{
    uint32_t u = bits_of(x);
    if ((u & 0x7fffffffu) >= 0x7f800000u)
        return x - x;                         /* nan for inf and nan */
    double v = sincos_abs(fabsf(x), 0);
    return (float)((u >> 31) ? -v : v);
}

float cosf(float x)
{
    if ((bits_of(x) & 0x7fffffffu) >= 0x7f800000u)
        return x - x;
    return (float)sincos_abs(fabsf(x), 1);
}
