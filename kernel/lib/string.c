/* string.c: memory and string functions for the kernel.
 * The bulk copies use the x86 string instructions (rep movs/stos): they are
 * short, fast on real CPUs, and QEMU's software emulation runs them as one
 * translated loop instead of a chain of small blocks. */
#include "lib/string.h"
#include "lib/ctype.h"

#include <limits.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 4, rest = n % 4;
    __asm__ volatile("rep movsl" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst - (uintptr_t)src >= n)
        return memcpy(dst, src, n); /* no harmful overlap: forward copy is safe */
    /* dst lies inside [src, src+n): copy from the end backwards. */
    unsigned char *d = (unsigned char *)dst + n - 1;
    const unsigned char *s = (const unsigned char *)src + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    uint32_t pattern = (uint8_t)c * 0x01010101u;
    size_t words = n / 4, rest = n % 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] - q[i];
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *found = NULL;
    for (;; s++) {
        if (*s == (char)c)
            found = s;
        if (!*s)
            return (char *)found;
    }
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return (char *)haystack;
    for (; *haystack; haystack++)
        if (*haystack == *needle && strncmp(haystack, needle, n) == 0)
            return (char *)haystack;
    return NULL;
}

char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = '\0';
    return dst;
}

static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return tolower(c) - 'a' + 10;
    return 99;
}

/* The common part of strtol and strtoul: magnitude up to 'limit' (saturating),
 * sign, and end pointer. Returns 0 with *end = s when no digits were found. */
static unsigned long parse_magnitude(const char *s, char **end, int base,
                                     unsigned long limit, int *negative, int *overflow)
{
    const char *p = s;
    *negative = 0;
    *overflow = 0;
    if (end)
        *end = (char *)s;
    if (base < 0 || base == 1 || base > 36)
        return 0;
    while (isspace(*p))
        p++;
    if (*p == '+' || *p == '-')
        *negative = *p++ == '-';
    /* "0x" only counts as a prefix when a hex digit follows it. */
    if ((base == 0 || base == 16) && p[0] == '0' && tolower(p[1]) == 'x' &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    const char *digits = p;
    unsigned long value = 0;
    for (int d; (d = digit_value(*p)) < base; p++) {
        if (value > (limit - d) / base) {
            *overflow = 1;
            value = limit;
        } else if (!*overflow) {
            value = value * base + d;
        }
    }
    if (p == digits)
        return 0;
    if (end)
        *end = (char *)p;
    return value;
}

long strtol(const char *s, char **end, int base)
{
    int negative, overflow;
    /* The magnitude of LONG_MIN is one more than LONG_MAX. */
    unsigned long limit = (unsigned long)LONG_MAX + 1;
    unsigned long v = parse_magnitude(s, end, base, limit, &negative, &overflow);
    if (negative)
        return overflow ? LONG_MIN : (long)(0 - v);
    return (overflow || v > LONG_MAX) ? LONG_MAX : (long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long v = parse_magnitude(s, end, base, ULONG_MAX, &negative, &overflow);
    if (overflow)
        return ULONG_MAX;
    return negative ? 0 - v : v;
}
