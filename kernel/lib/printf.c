/* printf.c: snprintf/vsnprintf for the kernel, byte-for-byte compatible with
 * glibc for the conversions listed in printf.h. Floating-point values are
 * converted exactly (big-number decimal expansion) and rounded half-to-even,
 * as glibc does, so throughput figures print identically on host and in MyOS. */
#include "lib/printf.h"
#include "lib/decimal.h"
#include "lib/divide.h"
#include "lib/string.h"

#include <stdint.h>

/* Output cursor: counts every character, stores those that fit (leaving room
 * for the terminating NUL). */
struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_n(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

static void put_s(struct out *o, const char *s, int n)
{
    while (n-- > 0)
        put(o, *s++);
}

struct spec {
    int minus, plus, space, zero, alt;
    int width;     /* 0 when absent */
    int precision; /* -1 when absent */
    char conv;
};

/* Writes the left padding and the prefix (sign, 0x) of a field whose body is
 * body_len characters long; returns the right padding still owed. */
static int field_begin(struct out *o, const struct spec *sp, const char *prefix,
                       int body_len, int zero_pad_ok)
{
    int plen = (int)strlen(prefix);
    int pad = sp->width - plen - body_len;
    if (pad < 0)
        pad = 0;
    if (sp->minus) {
        put_s(o, prefix, plen);
        return pad;
    }
    if (sp->zero && zero_pad_ok) {
        put_s(o, prefix, plen);
        put_n(o, '0', pad);
    } else {
        put_n(o, ' ', pad);
        put_s(o, prefix, plen);
    }
    return 0;
}

static void format_string(struct out *o, const struct spec *sp, const char *s, int len)
{
    int pad = field_begin(o, sp, "", len, 0);
    put_s(o, s, len);
    put_n(o, ' ', pad);
}

/* Integers: magnitude, sign, base from the conversion. */
static void format_integer(struct out *o, const struct spec *sp, uint64_t mag, int negative)
{
    char digits[24];
    int n = 0;
    unsigned base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
    const char *alphabet = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    for (uint64_t v = mag; v; ) {
        uint32_t r;
        v = div_u64_u32(v, base, &r);
        digits[n++] = alphabet[r];
    }
    int zeros = sp->precision > n ? sp->precision - n : 0;
    if (sp->precision < 0 && mag == 0)
        zeros = 1;                 /* "0"; only an explicit precision of 0 prints nothing */
    if (base == 8 && sp->alt && zeros == 0 && (n == 0 || digits[n - 1] != '0'))
        zeros = 1;                 /* '#' makes an octal number start with 0 */

    char prefix[4] = "", *p = prefix;
    int is_signed = sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p';
    if (negative)
        *p++ = '-';
    else if (is_signed && sp->plus)
        *p++ = '+';
    else if (is_signed && sp->space)
        *p++ = ' ';
    if (base == 16 && sp->alt && mag != 0) {
        *p++ = '0';
        *p++ = sp->conv == 'X' ? 'X' : 'x';
    }
    *p = '\0';

    int pad = field_begin(o, sp, prefix, zeros + n, sp->precision < 0);
    put_n(o, '0', zeros);
    while (n > 0)
        put(o, digits[--n]);
    put_n(o, ' ', pad);
}

/* %f/%e/%g body writers over an exactly rounded decimal. */
static int exponent_digits(int x)
{
    int len = 2;
    for (int a = x < 0 ? -x : x; a >= 100; a /= 10)
        len++;
    return len;
}

static void put_exponent(struct out *o, char e, int x)
{
    char tmp[8];
    int n = 0, a = x < 0 ? -x : x;
    put(o, e);
    put(o, x < 0 ? '-' : '+');
    do {
        tmp[n++] = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    if (n < 2)
        tmp[n++] = '0';
    while (n > 0)
        put(o, tmp[--n]);
}

/* Number of fraction digits to keep once trailing zeros are removed (%g). */
static int trim_fraction(const struct decimal *d, int first_pos, int frac)
{
    while (frac > 0 && decimal_digit(d, first_pos + frac - 1) == '0')
        frac--;
    return frac;
}

static void format_float(struct out *o, const struct spec *sp, double v)
{
    int upper = sp->conv == 'F' || sp->conv == 'E' || sp->conv == 'G';
    union { double d; uint64_t u; } bits = { v };
    int negative = (int)(bits.u >> 63);
    const char *prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";

    if (((bits.u >> 52) & 0x7ff) == 0x7ff) {
        int is_nan = (bits.u << 12) != 0;
        const char *word = is_nan ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        int pad = field_begin(o, sp, prefix, 3, 0);
        put_s(o, word, 3);
        put_n(o, ' ', pad);
        return;
    }

    struct decimal d;
    decimal_from_double(&d, bits.u);
    int prec = sp->precision < 0 ? 6 : sp->precision;
    char kind = (char)(sp->conv | 0x20); /* lower case: f, e or g */
    int strip = 0;
    if (kind == 'g') {
        if (prec == 0)
            prec = 1;
        decimal_round(&d, prec);
        int x = decimal_exponent(&d);
        if (x < prec && x >= -4) {
            kind = 'f';
            prec = prec - 1 - x;
        } else {
            kind = 'e';
            prec = prec - 1;
        }
        strip = !sp->alt;
    }

    int len, frac;
    if (kind == 'f') {
        decimal_round(&d, d.dp + prec);
        int int_digits = d.dp > 0 ? d.dp : 1;
        frac = strip ? trim_fraction(&d, d.dp, prec) : prec;
        len = int_digits + (frac > 0 || sp->alt) + frac;
        int pad = field_begin(o, sp, prefix, len, 1);
        if (d.dp > 0)
            for (int i = 0; i < d.dp; i++)
                put(o, decimal_digit(&d, i));
        else
            put(o, '0');
        if (frac > 0 || sp->alt)
            put(o, '.');
        for (int j = 0; j < frac; j++)
            put(o, decimal_digit(&d, d.dp + j));
        put_n(o, ' ', pad);
    } else {
        decimal_round(&d, prec + 1);
        int x = decimal_exponent(&d);
        frac = strip ? trim_fraction(&d, 1, prec) : prec;
        len = 1 + (frac > 0 || sp->alt) + frac + 2 + exponent_digits(x);
        int pad = field_begin(o, sp, prefix, len, 1);
        put(o, decimal_digit(&d, 0));
        if (frac > 0 || sp->alt)
            put(o, '.');
        for (int j = 1; j <= frac; j++)
            put(o, decimal_digit(&d, j));
        put_exponent(o, upper ? 'E' : 'e', x);
        put_n(o, ' ', pad);
    }
}

/* Length modifiers, as the number of bytes of the promoted argument. */
enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

static int64_t signed_arg(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H:  return (short)va_arg(*ap, int);
    case LEN_L:  return va_arg(*ap, long);
    case LEN_LL:
    case LEN_J:  return va_arg(*ap, long long);
    case LEN_Z:
    case LEN_T:  return va_arg(*ap, ptrdiff_t);
    default:     return va_arg(*ap, int);
    }
}

static uint64_t unsigned_arg(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
    case LEN_H:  return (unsigned short)va_arg(*ap, unsigned);
    case LEN_L:  return va_arg(*ap, unsigned long);
    case LEN_LL:
    case LEN_J:  return va_arg(*ap, unsigned long long);
    case LEN_Z:
    case LEN_T:  return va_arg(*ap, size_t);
    default:     return va_arg(*ap, unsigned);
    }
}

static enum length parse_length(const char **f)
{
    const char *p = *f;
    enum length len = LEN_NONE;
    switch (*p) {
    case 'h': len = p[1] == 'h' ? (p++, LEN_HH) : LEN_H; break;
    case 'l': len = p[1] == 'l' ? (p++, LEN_LL) : LEN_L; break;
    case 'L': len = LEN_LL; break;
    case 'z': len = LEN_Z; break;
    case 'j': len = LEN_J; break;
    case 't': len = LEN_T; break;
    default: return LEN_NONE;
    }
    *f = p + 1;
    return len;
}

/* Reads a decimal number or '*' (argument) at *f; -1 if neither is there. */
static int parse_count(const char **f, va_list *ap)
{
    const char *p = *f;
    if (*p == '*') {
        *f = p + 1;
        return va_arg(*ap, int);
    }
    if (*p < '0' || *p > '9')
        return -1;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (n < 100000000)
            n = n * 10 + (*p - '0');
        p++;
    }
    *f = p;
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; ) {
        if (*f != '%') {
            put(&o, *f++);
            continue;
        }
        const char *start = f++;
        struct spec sp = { 0, 0, 0, 0, 0, 0, -1, 0 };
        for (;; f++) {
            if (*f == '-') sp.minus = 1;
            else if (*f == '+') sp.plus = 1;
            else if (*f == ' ') sp.space = 1;
            else if (*f == '0') sp.zero = 1;
            else if (*f == '#') sp.alt = 1;
            else break;
        }
        sp.width = parse_count(&f, &ap);
        if (sp.width < 0 && f[-1] == '*') {
            sp.minus = 1;               /* a negative '*' width means left-justify */
            sp.width = -sp.width;
        }
        if (sp.width < 0)
            sp.width = 0;
        if (*f == '.') {
            f++;
            sp.precision = parse_count(&f, &ap);
            if (sp.precision < 0 && f[-1] != '*')
                sp.precision = 0;       /* "%.f" means precision 0 */
        }
        enum length len = parse_length(&f);
        sp.conv = *f;
        if (*f)
            f++;
        switch (sp.conv) {
        case 'd':
        case 'i': {
            int64_t v = signed_arg(&ap, len);
            format_integer(&o, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
            break;
        }
        case 'u': case 'x': case 'X': case 'o':
            format_integer(&o, &sp, unsigned_arg(&ap, len), 0);
            break;
        case 'p': {
            void *ptr = va_arg(ap, void *);
            if (!ptr) {
                format_string(&o, &sp, "(nil)", 5);
            } else {
                sp.alt = 1;
                format_integer(&o, &sp, (uintptr_t)ptr, 0);
            }
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            format_string(&o, &sp, &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = (sp.precision < 0 || sp.precision >= 6) ? "(null)" : "";
            int n = 0;
            while ((sp.precision < 0 || n < sp.precision) && s[n])
                n++;
            format_string(&o, &sp, s, n);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
            format_float(&o, &sp, va_arg(ap, double));
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown conversion: print it as written, consume nothing. */
            put_s(&o, start, (int)(f - start));
            break;
        }
    }
    va_end(ap);
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
