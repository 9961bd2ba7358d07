/* json_write.c: the JSON writer: appends to a fixed buffer, escapes
 * strings (quotes, backslashes, control characters) and replaces invalid
 * UTF-8 with U+FFFD, so a model's output always makes valid JSON. */
#include "net/json.h"
#include "lib/printf.h"
#include "lib/string.h"

void json_out_init(struct json_out *o, char *buf, size_t cap)
{
    o->buf = buf;
    o->len = 0;
    o->cap = cap;
    o->overflow = 0;
    if (cap)
        buf[0] = 0;
}

void json_raw_n(struct json_out *o, const char *s, size_t n)
{
    if (o->overflow || o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = 0;
}

void json_raw(struct json_out *o, const char *s)
{
    json_raw_n(o, s, strlen(s));
}

/* Length of a valid UTF-8 sequence at s, or 0 (same rules as the reader). */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_string(struct json_out *o, const char *s, size_t n)
{
    json_raw_n(o, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            json_raw_n(o, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            static const char short_forms[] = "btn\0fr"; /* \b \t \n - \f \r for 8..13 */
            char esc[8];
            if (c >= 8 && c <= 13 && short_forms[c - 8])
                snprintf(esc, sizeof esc, "\\%c", short_forms[c - 8]);
            else
                snprintf(esc, sizeof esc, "\\u%04x", c);
            json_raw(o, esc);
            i++;
        } else {
            size_t k = utf8_len(u + i, n - i);
            if (k == 0) {
                json_raw(o, "\xef\xbf\xbd");
                i++;
            } else {
                json_raw_n(o, s + i, k);
                i += k;
            }
        }
    }
    json_raw_n(o, "\"", 1);
}

void json_int(struct json_out *o, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)v);
    json_raw(o, num);
}
