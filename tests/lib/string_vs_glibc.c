/* string_vs_glibc.c: the kernel's string/memory functions (linked in as k_*,
 * see kernel/lib/lib.mk) against glibc on exhaustive small cases and random
 * buffers: every offset/length combination for the copies, sign-correct
 * comparisons, strtol/strtoul values and end pointers. Exits 1 on a mismatch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern __typeof__(memcpy) k_memcpy;
extern __typeof__(memmove) k_memmove;
extern __typeof__(memset) k_memset;
extern __typeof__(memcmp) k_memcmp;
extern __typeof__(strlen) k_strlen;
extern __typeof__(strcmp) k_strcmp;
extern __typeof__(strncmp) k_strncmp;
extern __typeof__(strchr) k_strchr;
extern __typeof__(strrchr) k_strrchr;
extern __typeof__(strstr) k_strstr;
extern __typeof__(strncpy) k_strncpy;
extern __typeof__(strtol) k_strtol;
extern __typeof__(strtoul) k_strtoul;

static long checks, failures;

#define EXPECT(cond, ...)                                   \
    do {                                                    \
        checks++;                                           \
        if (!(cond) && failures++ < 30) {                   \
            printf("FAIL %s:%d: ", __func__, __LINE__);     \
            printf(__VA_ARGS__);                            \
            printf("\n");                                   \
        }                                                   \
    } while (0)

static int sign(int x) { return (x > 0) - (x < 0); }

static void copies(void)
{
    unsigned char src[256], a[300], b[300];
    for (int i = 0; i < 256; i++)
        src[i] = (unsigned char)(i * 7 + 3);
    for (int off = 0; off < 8; off++)
        for (int n = 0; n < 70; n++) {
            memset(a, 0xee, sizeof a);
            memset(b, 0xee, sizeof b);
            k_memcpy(a + off, src + 3, n);
            memcpy(b + off, src + 3, n);
            EXPECT(!memcmp(a, b, sizeof a), "memcpy off %d n %d", off, n);
            k_memset(a + off, 0x80 | n, n);
            memset(b + off, 0x80 | n, n);
            EXPECT(!memcmp(a, b, sizeof a), "memset off %d n %d", off, n);
            /* Overlapping moves in both directions. */
            for (int shift = -9; shift <= 9; shift++) {
                for (int i = 0; i < 300; i++)
                    a[i] = b[i] = (unsigned char)i;
                void *ra = k_memmove(a + 20 + off + shift, a + 20 + off, n);
                memmove(b + 20 + off + shift, b + 20 + off, n);
                EXPECT(ra == a + 20 + off + shift && !memcmp(a, b, sizeof a),
                       "memmove off %d n %d shift %d", off, n, shift);
            }
        }
}

static void comparisons(void)
{
    static const char *const s[] = { "", "a", "b", "ab", "abc", "abd", "abc\x80", "abc\x7f", "\xff", "A", "hello world" };
    int n = sizeof s / sizeof *s;
    for (int i = 0; i < n; i++) {
        EXPECT(k_strlen(s[i]) == strlen(s[i]), "strlen %d", i);
        for (int j = 0; j < n; j++) {
            EXPECT(sign(k_strcmp(s[i], s[j])) == sign(strcmp(s[i], s[j])), "strcmp %d %d", i, j);
            for (size_t len = 0; len < 6; len++)
                EXPECT(sign(k_strncmp(s[i], s[j], len)) == sign(strncmp(s[i], s[j], len)),
                       "strncmp %d %d %zu", i, j, len);
            size_t m = strlen(s[i]) < strlen(s[j]) ? strlen(s[i]) : strlen(s[j]);
            EXPECT(sign(k_memcmp(s[i], s[j], m + 1)) == sign(memcmp(s[i], s[j], m + 1)), "memcmp %d %d", i, j);
            EXPECT(k_strstr(s[i], s[j]) == strstr(s[i], s[j]), "strstr %d %d", i, j);
        }
        for (int c = 0; c < 256; c++) {
            EXPECT(k_strchr(s[i], c) == strchr(s[i], c), "strchr %d %d", i, c);
            EXPECT(k_strrchr(s[i], c) == strrchr(s[i], c), "strrchr %d %d", i, c);
        }
    }
    char a[16], b[16];
    for (size_t len = 0; len < 16; len++) {
        memset(a, 'x', sizeof a);
        memset(b, 'x', sizeof b);
        EXPECT(k_strncpy(a, "hello", len) == a, "strncpy return");
        strncpy(b, "hello", len);
        EXPECT(!memcmp(a, b, sizeof a), "strncpy len %zu", len);
    }
}

static void conversions(void)
{
    static const char *const inputs[] = {
        "0", "123", "-123", "+77", "  \t\n42xyz", "0x1A", "0X1a", "0x", "0xg", "017", "08", "-0",
        "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
        "-1", "-4294967295", "99999999999999999999", "-99999999999999999999", "zz", "Zz", "",
        "   ", "+", "-", "+-1", "1e5", "0b101", "  -0x7fffffff", "0x80000000", "777777777777",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
        "18446744073709551616" };
    static const int bases[] = { 0, 2, 8, 10, 16, 36 };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
            char *ke, *ge;
            long kv = k_strtol(inputs[i], &ke, bases[b]);
            long gv = strtol(inputs[i], &ge, bases[b]);
            EXPECT(kv == gv && ke == ge, "strtol(\"%s\", %d): %ld/+%d vs glibc %ld/+%d", inputs[i],
                   bases[b], kv, (int)(ke - inputs[i]), gv, (int)(ge - inputs[i]));
            unsigned long ku = k_strtoul(inputs[i], &ke, bases[b]);
            unsigned long gu = strtoul(inputs[i], &ge, bases[b]);
            EXPECT(ku == gu && ke == ge, "strtoul(\"%s\", %d): %lu/+%d vs glibc %lu/+%d", inputs[i],
                   bases[b], ku, (int)(ke - inputs[i]), gu, (int)(ge - inputs[i]));
            EXPECT(k_strtol(inputs[i], NULL, bases[b]) == gv, "strtol NULL end");
        }
    /* An invalid base converts nothing (glibc leaves the end pointer unset). */
    static const int bad_bases[] = { 1, 37, -1 };
    for (size_t b = 0; b < sizeof bad_bases / sizeof *bad_bases; b++) {
        char *end;
        EXPECT(k_strtol("123", &end, bad_bases[b]) == 0 && !strcmp(end, "123"), "bad base %d", bad_bases[b]);
        EXPECT(k_strtoul("123", &end, bad_bases[b]) == 0 && !strcmp(end, "123"), "bad base %d", bad_bases[b]);
    }
}

int main(void)
{
    copies();
    comparisons();
    conversions();
    printf("string: %ld checks, %ld failures\n", checks, failures);
    return failures ? 1 : 0;
}
