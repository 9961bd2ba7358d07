/* math_vs_glibc.c: ulp distance between the kernel's float functions (linked
 * in as k_*, see kernel/lib/lib.mk) and glibc's libm. Each one-argument
 * function sees 2^24 inputs spread over all 2^32 float bit patterns (every
 * 256th pattern, with varying low bits) plus the special values; powf sees
 * 2^24 argument pairs from four families (see pow_pairs) plus all pairs of
 * special values. nan must meet nan; +0 and -0 are one ulp apart. An optional
 * argument N uses 2^N inputs instead (the quick 32-bit run in make test).
 *
 * An input fails when the kernel is more than the limit (1 ulp; 0 for the
 * exact functions) away from glibc, unless glibc is the less accurate of the
 * two: glibc 2.36's tanhf, for one, is up to 2 ulp off. The judge is the
 * correctly rounded result, taken as glibc's double-precision function
 * rounded to float. Prints per function the maximum distance to glibc, to the
 * correctly rounded result, and how often glibc was the less accurate one;
 * exits 1 on any failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern __typeof__(expf) k_expf;
extern __typeof__(logf) k_logf;
extern __typeof__(sqrtf) k_sqrtf;
extern __typeof__(powf) k_powf;
extern __typeof__(tanhf) k_tanhf;
extern __typeof__(floorf) k_floorf;
extern __typeof__(ceilf) k_ceilf;
extern __typeof__(roundf) k_roundf;
extern __typeof__(fabsf) k_fabsf;
extern __typeof__(sinf) k_sinf;
extern __typeof__(cosf) k_cosf;

#define NAN_MISMATCH 1000000000LL /* a nan where the other side has a number */

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Floats in order as integers: -0 just below +0, nan set apart. */
static int64_t ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : NAN_MISMATCH;
    uint32_t ua = bits_of(a), ub = bits_of(b);
    int64_t oa = (ua >> 31) ? -(int64_t)(ua & 0x7fffffff) - 1 : (int64_t)ua;
    int64_t ob = (ub >> 31) ? -(int64_t)(ub & 0x7fffffff) - 1 : (int64_t)ub;
    return oa > ob ? oa - ob : ob - oa;
}

static const uint32_t specials[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00000,
    0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
    0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x40000000, 0xc0000000, 0x3fc00000, 0xbfc00000,
    0x40400000, 0xc0400000, 0x42b17218, 0x42b17217, 0xc2ce8ed0, 0xc2aeac50, 0x40490fdb, 0x3fc90fdb,
    0x3f490fdb, 0x3f490fda, 0x4b000000, 0x4b7fffff, 0x4affffff, 0x3effffff, 0x3f7fffff, 0x3f800001,
    0x41b00000, 0x41100000, 0x3a000000, 0x39ffffff, 0x5a7a6c4b, 0x7e8b0cfd, 0x4f000000, 0xcf000000,
};
#define SPECIALS (sizeof specials / sizeof specials[0])

struct result {
    int64_t max_ulp;      /* kernel vs glibc */
    int64_t max_ref_ulp;  /* kernel vs correctly rounded */
    float worst_x, worst_y;
    long inputs, glibc_worse, failures;
};

static void record(struct result *r, int64_t limit, float mine, float glibc, double exact, float x, float y)
{
    int64_t d = ulp_distance(mine, glibc);
    int64_t d_ref = ulp_distance(mine, (float)exact);
    int64_t glibc_ref = ulp_distance(glibc, (float)exact);
    r->inputs++;
    /* Where both give nan the double reference may not (a signalling nan
     * argument turns quiet on the way to double): nothing to judge there. */
    if (isnan(mine) && isnan(glibc))
        return;
    if (d_ref > r->max_ref_ulp)
        r->max_ref_ulp = d_ref;
    if (d > r->max_ulp) {
        r->max_ulp = d;
        r->worst_x = x;
        r->worst_y = y;
    }
    if (d > limit) {
        if (d_ref <= 1 && d_ref < glibc_ref)
            r->glibc_worse++;
        else
            r->failures++;
    }
}

static int log2_inputs = 24;

static struct result unary(float (*mine)(float), float (*glibc)(float), double (*exact)(double), int64_t limit)
{
    struct result r = { 0, 0, 0, 0, 0, 0, 0 };
    uint32_t stride = 1u << (32 - log2_inputs);
    for (uint32_t j = 0; j < (1u << log2_inputs); j++) {
        float x = float_of(j * stride + ((j * 0x9e37u) & (stride - 1)));
        record(&r, limit, mine(x), glibc(x), exact(x), x, 0);
    }
    for (size_t i = 0; i < SPECIALS; i++) {
        float x = float_of(specials[i]);
        record(&r, limit, mine(x), glibc(x), exact(x), x, 0);
    }
    return r;
}

static uint64_t rng = 0x853c49e6748fea9bull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static float uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() >> 8) * 0x1p-24f;
}

/* Pairs for powf, a quarter of each family: any x with a moderate y (25% integer,
 * so negative bases count); a moderate x with any y; any positive x with y up
 * to ±60 (results across the whole range); x near 1 with large y. */
static struct result pow_pairs(void)
{
    struct result r = { 0, 0, 0, 0, 0, 0, 0 };
    for (uint32_t j = 0; j < (1u << log2_inputs); j++) {
        float x, y;
        switch (j & 3) {
        case 0:
            x = float_of(rnd());
            y = uniform(-4, 4);
            if (rnd() % 4 == 0)
                y = (float)(int)y;
            break;
        case 1:
            x = uniform(0, 4);
            y = float_of(rnd());
            break;
        case 2:
            x = float_of(rnd() & 0x7fffffffu);
            y = uniform(-60, 60);
            break;
        default:
            x = 1.0f + uniform(-1, 1) * float_of(0x3f800000u - ((rnd() % 24) << 23));
            y = uniform(-1, 1) * float_of(0x3f800000u + ((rnd() % 40) << 23));
            break;
        }
        record(&r, 1, k_powf(x, y), powf(x, y), pow(x, y), x, y);
    }
    for (size_t i = 0; i < SPECIALS; i++)
        for (size_t k = 0; k < SPECIALS; k++) {
            float x = float_of(specials[i]), y = float_of(specials[k]);
            record(&r, 1, k_powf(x, y), powf(x, y), pow(x, y), x, y);
        }
    return r;
}

static void report(const char *name, const struct result *r)
{
    printf("%-7s max ulp %lld vs glibc, %lld vs correctly rounded, over %ld inputs; "
           "glibc less accurate %ld times; %ld failures (worst x = %a",
           name, (long long)r->max_ulp, (long long)r->max_ref_ulp, r->inputs, r->glibc_worse, r->failures,
           r->worst_x);
    if (r->worst_y != 0)
        printf(", y = %a", r->worst_y);
    printf(")\n");
}

/* Exact functions: the double versions give the same result. */
static double exact_sqrt(double x) { return sqrt(x); }
static double exact_floor(double x) { return floor(x); }
static double exact_ceil(double x) { return ceil(x); }
static double exact_round(double x) { return round(x); }
static double exact_fabs(double x) { return fabs(x); }

int main(int argc, char **argv)
{
    if (argc > 1)
        log2_inputs = atoi(argv[1]);
    if (log2_inputs < 8 || log2_inputs > 30) {
        fprintf(stderr, "usage: %s [LOG2_INPUTS from 8 to 30]\n", argv[0]);
        return 2;
    }
    static const struct {
        const char *name;
        float (*mine)(float), (*glibc)(float);
        double (*exact)(double);
        int64_t limit;
    } fns[] = {
        { "expf", k_expf, expf, exp, 1 },       { "logf", k_logf, logf, log, 1 },
        { "tanhf", k_tanhf, tanhf, tanh, 1 },   { "sinf", k_sinf, sinf, sin, 1 },
        { "cosf", k_cosf, cosf, cos, 1 },       { "sqrtf", k_sqrtf, sqrtf, exact_sqrt, 0 },
        { "floorf", k_floorf, floorf, exact_floor, 0 }, { "ceilf", k_ceilf, ceilf, exact_ceil, 0 },
        { "roundf", k_roundf, roundf, exact_round, 0 }, { "fabsf", k_fabsf, fabsf, exact_fabs, 0 },
    };
    long failures = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        struct result r = unary(fns[i].mine, fns[i].glibc, fns[i].exact, fns[i].limit);
        report(fns[i].name, &r);
        failures += r.failures;
    }
    struct result r = pow_pairs();
    report("powf", &r);
    failures += r.failures;
    printf("math: %ld failures\n", failures);
    return failures ? 1 : 0;
}
