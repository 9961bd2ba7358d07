/* decimal.h: exact decimal expansion of a double, for printf's %f/%e/%g.
 * A finite double is m * 2^e; its decimal expansion is finite (at most 767
 * significant digits), so it is computed exactly and rounded half-to-even. */
#ifndef LIB_DECIMAL_H
#define LIB_DECIMAL_H

#include <stdint.h>

#define DECIMAL_MAX_DIGITS 780

/* value = 0.d[0]d[1]...d[n-1] * 10^dp; n == 0 means zero. */
struct decimal {
    char d[DECIMAL_MAX_DIGITS];
    int n;
    int dp;
};

/* bits: an IEEE 754 double, finite; the sign bit is ignored. */
void decimal_from_double(struct decimal *dec, uint64_t bits);
/* Keep 'keep' significant digits (may be <= 0), rounding half to even. */
void decimal_round(struct decimal *dec, int keep);
/* Digit at position pos ('0' beyond the stored digits). */
char decimal_digit(const struct decimal *dec, int pos);
/* Exponent of the leading digit, as %e prints it (0 for zero). */
int decimal_exponent(const struct decimal *dec);

#endif
