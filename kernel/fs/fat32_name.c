/* File names on FAT32: which long names are allowed, the 8.3 alias generated
 * for a long name (basis name plus "~N" tail as VFAT does), the long-name
 * checksum, and case-insensitive comparison. Names are ASCII. */
#include "fs/fat32.h"
#include "lib/string.h"
#include "lib/ctype.h"

int fat_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255)
        return 0;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    if (name[n - 1] == '.' || name[n - 1] == ' ')
        return 0;   /* Windows would silently drop these; refuse instead */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7E || strchr("\"*/:<>?\\|", c))
            return 0;
    }
    return 1;
}

uint8_t fat_lfn_checksum(const uint8_t s[11])
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + s[i]);
    return sum;
}

void fat_short_to_text(const struct fat_dirent *de, char *out)
{
    int n = 0;
    for (int i = 0; i < 8 && de->name[i] != ' '; i++) {
        char c = (char)(i == 0 && de->name[0] == 0x05 ? 0xE5 : de->name[i]);
        out[n++] = (de->ntres & 0x08) ? (char)tolower((unsigned char)c) : c;
    }
    if (de->name[8] != ' ') {
        out[n++] = '.';
        for (int i = 8; i < 11 && de->name[i] != ' '; i++)
            out[n++] = (de->ntres & 0x10) ? (char)tolower((unsigned char)de->name[i]) : (char)de->name[i];
    }
    out[n] = 0;
}

int fat_name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* Characters allowed in a short name besides letters and digits. */
static int short_char_ok(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("$%'-_@~`!(){}^#&", c));
}

/* Copy the characters of [s, e) that belong in a short name, uppercased,
 * into out (at most max); returns the count that would be needed. */
static int short_part(const char *s, const char *e, uint8_t *out, int max, int *lossy)
{
    int n = 0;
    for (; s < e; s++) {
        char c = *s;
        if (c == ' ' || c == '.')
            continue;          /* dropped; the tail test below catches it */
        if (!short_char_ok(c)) {
            c = '_';
            *lossy = 1;
        }
        if (n < max)
            out[n] = (uint8_t)toupper((unsigned char)c);
        n++;
    }
    return n;
}

int fat_short_basis(const char *name, uint8_t out[11])
{
    memset(out, ' ', 11);
    const char *start = name;
    while (*start == '.' || *start == ' ')
        start++;
    const char *end = name + strlen(name);
    const char *dot = strrchr(start, '.');
    int lossy = 0;
    int nb = short_part(start, dot ? dot : end, out, 8, &lossy);
    int ne = dot ? short_part(dot + 1, end, out + 8, 3, &lossy) : 0;
    if (nb == 0) {
        out[0] = '_';
        lossy = 1;
    }
    if (lossy || nb > 8 || ne > 3)
        return 1;
    /* Fits and nothing was replaced: a tail is needed only if characters
     * (spaces, extra dots) were dropped. */
    char text[13];
    struct fat_dirent de;
    memcpy(de.name, out, 11);
    de.ntres = 0;
    fat_short_to_text(&de, text);
    return !fat_name_equal(text, name);
}

void fat_short_with_tail(const uint8_t basis[11], uint32_t n, uint8_t out[11])
{
    char tail[12];
    int t = 0;
    char digits[10];
    int d = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    tail[t++] = '~';
    while (d)
        tail[t++] = digits[--d];
    int keep = 0;
    while (keep < 8 && basis[keep] != ' ')
        keep++;
    if (keep > 8 - t)
        keep = 8 - t;
    memcpy(out, basis, 11);
    memcpy(out + keep, tail, (size_t)t);
    for (int i = keep + t; i < 8; i++)
        out[i] = ' ';
}

int fat_needs_lfn(const char *name, const uint8_t s[11])
{
    char text[13];
    struct fat_dirent de;
    memcpy(de.name, s, 11);
    de.ntres = 0;
    fat_short_to_text(&de, text);
    return strcmp(text, name) != 0;
}
