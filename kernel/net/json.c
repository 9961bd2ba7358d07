/* json.c: the JSON reader, a recursive descent over the RFC 8259 grammar
 * (depth-limited, so the recursion is bounded), writing nodes and decoded
 * strings into the caller's arrays. */
#include "net/json.h"
#include "lib/printf.h"
#include "lib/string.h"

struct parser {
    const char *s, *end, *start;
    struct json_doc *doc;
    int depth;
};

static int fail(struct parser *p, const char *what)
{
    snprintf(p->doc->err, sizeof p->doc->err, "%s at byte %lu", what, (unsigned long)(p->s - p->start));
    return -1;
}

static void skip_ws(struct parser *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int new_node(struct parser *p, enum json_type t, uint32_t *index)
{
    if (p->doc->n >= p->doc->cap)
        return fail(p, "too many values");
    struct json_value *v = &p->doc->v[p->doc->n];
    memset(v, 0, sizeof *v);
    v->type = t;
    *index = p->doc->n++;
    return 0;
}

static int put_text(struct parser *p, const char *bytes, size_t n)
{
    if (p->doc->text_len + n > p->doc->text_cap)
        return fail(p, "strings too long");
    memcpy(p->doc->text + p->doc->text_len, bytes, n);
    p->doc->text_len += n;
    return 0;
}

static int hex4(struct parser *p, uint32_t *out)
{
    if (p->end - p->s < 4)
        return fail(p, "incomplete \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return fail(p, "bad hex digit in \\u escape");
        v = v << 4 | (uint32_t)d;
    }
    p->s += 4;
    *out = v;
    return 0;
}

static int put_utf8(struct parser *p, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3f)), b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return put_text(p, b, n);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_valid(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A string at p->s (on its opening quote), decoded into the text area. */
static int parse_string(struct parser *p, const char **out, uint32_t *out_len)
{
    p->s++;
    size_t start = p->doc->text_len;
    for (;;) {
        if (p->s >= p->end)
            return fail(p, "unterminated string");
        unsigned char c = (unsigned char)*p->s;
        if (c == '"') {
            p->s++;
            break;
        }
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c == '\\') {
            if (p->end - p->s < 2)
                return fail(p, "unterminated string");
            char e = p->s[1];
            p->s += 2;
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e && simple) {
                static const char decoded[] = "\"\\/\b\f\n\r\t";
                if (put_text(p, &decoded[simple - "\"\\/bfnrt"], 1))
                    return -1;
                continue;
            }
            if (e != 'u')
                return fail(p, "bad escape in string");
            uint32_t cp;
            if (hex4(p, &cp))
                return -1;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(p, "lone low surrogate in \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u')
                    return fail(p, "high surrogate without its low half");
                p->s += 2;
                if (hex4(p, &lo))
                    return -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail(p, "high surrogate without its low half");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (put_utf8(p, cp))
                return -1;
            continue;
        }
        size_t n = utf8_valid((const unsigned char *)p->s, (const unsigned char *)p->end);
        if (n == 0)
            return fail(p, "invalid UTF-8 in string");
        if (put_text(p, p->s, n))
            return -1;
        p->s += n;
    }
    size_t len = p->doc->text_len - start;
    if (put_text(p, "", 1)) /* NUL after it, for callers that want C strings */
        return -1;
    if (len > 0xffffffffu)
        return fail(p, "string too long");
    *out = p->doc->text + start;
    *out_len = (uint32_t)len;
    return 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, converted with one rounding
 * whenever the digits fit in 2^53 and the power of ten is at most 10^22
 * (every number a request has in practice). */
static int parse_number(struct parser *p, double *out)
{
    const char *s = p->s;
    int neg = 0, exp10 = 0;
    uint64_t m = 0;
    if (s < p->end && *s == '-')
        neg = 1, s++;
    if (s >= p->end || *s < '0' || *s > '9')
        return fail(p, "bad number");
    if (*s == '0' && s + 1 < p->end && s[1] >= '0' && s[1] <= '9')
        return fail(p, "leading zero in number");
    for (; s < p->end && *s >= '0' && *s <= '9'; s++) {
        if (m < 1000000000000000000ull)
            m = m * 10 + (uint64_t)(*s - '0');
        else
            exp10++;
    }
    if (s < p->end && *s == '.') {
        s++;
        if (s >= p->end || *s < '0' || *s > '9')
            return fail(p, "bad fraction in number");
        for (; s < p->end && *s >= '0' && *s <= '9'; s++)
            if (m < 1000000000000000000ull)
                m = m * 10 + (uint64_t)(*s - '0'), exp10--;
    }
    if (s < p->end && (*s == 'e' || *s == 'E')) {
        s++;
        int eneg = 0, e = 0;
        if (s < p->end && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        if (s >= p->end || *s < '0' || *s > '9')
            return fail(p, "bad exponent in number");
        for (; s < p->end && *s >= '0' && *s <= '9'; s++)
            if (e < 100000)
                e = e * 10 + (*s - '0');
        exp10 += eneg ? -e : e;
    }
    double v = (double)m;
    if (m != 0) {
        if (exp10 > 308 + 19)
            return fail(p, "number out of range");
        if (exp10 < -(324 + 19))
            exp10 = -(324 + 19), v = 0;
        double scale = 1;
        int k = exp10 < 0 ? -exp10 : exp10;
        if (k <= 22) {
            for (int i = 0; i < k; i++)
                scale *= 10;
            v = exp10 < 0 ? v / scale : v * scale;
        } else {
            for (; k > 0; k--)
                v = exp10 < 0 ? v / 10 : v * 10;
        }
        if (v > 1.7976931348623157e308)
            return fail(p, "number out of range");
    }
    *out = neg ? -v : v;
    p->s = s;
    return 0;
}

static int parse_value(struct parser *p, uint32_t *index);

static int parse_container(struct parser *p, uint32_t index, int object)
{
    char close = object ? '}' : ']';
    if (++p->depth > JSON_MAX_DEPTH)
        return fail(p, "nested too deeply");
    p->s++;
    skip_ws(p);
    uint32_t last = 0, count = 0;
    if (p->s < p->end && *p->s == close) {
        p->s++;
        p->depth--;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        uint32_t key_len = 0, child;
        skip_ws(p);
        if (object) {
            if (p->s >= p->end || *p->s != '"')
                return fail(p, "expected a member name");
            if (parse_string(p, &key, &key_len))
                return -1;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':')
                return fail(p, "expected ':'");
            p->s++;
        }
        if (parse_value(p, &child))
            return -1;
        struct json_value *c = &p->doc->v[child];
        c->key = key;
        c->key_len = key_len;
        if (last)
            p->doc->v[last].next = child;
        else
            p->doc->v[index].first = child;
        last = child;
        count++;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            break;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    p->doc->v[index].len = count;
    p->depth--;
    return 0;
}

static int literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return fail(p, "unexpected character");
    p->s += n;
    return 0;
}

static int parse_value(struct parser *p, uint32_t *index)
{
    skip_ws(p);
    if (p->s >= p->end)
        return fail(p, "unexpected end of input");
    char c = *p->s;
    switch (c) {
    case '{':
    case '[':
        if (new_node(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, index))
            return -1;
        return parse_container(p, *index, c == '{');
    case '"':
        if (new_node(p, JSON_STRING, index))
            return -1;
        return parse_string(p, &p->doc->v[*index].str, &p->doc->v[*index].len);
    case 't':
        return literal(p, "true") ? -1 : new_node(p, JSON_TRUE, index);
    case 'f':
        return literal(p, "false") ? -1 : new_node(p, JSON_FALSE, index);
    case 'n':
        return literal(p, "null") ? -1 : new_node(p, JSON_NULL, index);
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            double v;
            if (parse_number(p, &v) || new_node(p, JSON_NUMBER, index))
                return -1;
            p->doc->v[*index].number = v;
            return 0;
        }
        return fail(p, "unexpected character");
    }
}

int json_parse(struct json_doc *doc, const char *src, size_t len, struct json_value *nodes, uint32_t max_nodes,
               char *text, size_t text_cap)
{
    memset(doc, 0, sizeof *doc);
    doc->v = nodes;
    doc->cap = max_nodes;
    doc->text = text;
    doc->text_cap = text_cap;
    struct parser p = { src, src + len, src, doc, 0 };
    uint32_t root;
    if (parse_value(&p, &root))
        return -1;
    skip_ws(&p);
    if (p.s != p.end)
        return fail(&p, "unexpected data after the value");
    return 0;
}

const struct json_value *json_member(const struct json_doc *doc, const struct json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (const struct json_value *m = json_first(doc, v); m; m = json_next(doc, m))
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return m;
    return NULL;
}

const struct json_value *json_first(const struct json_doc *doc, const struct json_value *v)
{
    return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) && v->first ? &doc->v[v->first] : NULL;
}

const struct json_value *json_next(const struct json_doc *doc, const struct json_value *m)
{
    return m->next ? &doc->v[m->next] : NULL;
}

const char *json_type_name(enum json_type t)
{
    static const char *const names[] = { "null", "boolean", "boolean", "number", "string", "array", "object" };
    return names[t];
}
