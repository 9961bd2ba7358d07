/* json.h: a JSON (RFC 8259) reader and writer.
 *
 * The reader builds a tree of values in arrays the caller provides: nodes,
 * and a text area for decoded strings (as large as the input suffices, a
 * decoded string is never longer than its source). It accepts exactly the
 * RFC's grammar: UTF-8 only (overlong forms, surrogates and code points
 * past U+10FFFF refused), \u escapes with surrogate pairs (a lone
 * surrogate is an error), no control characters in strings, numbers as the
 * grammar spells them, nesting at most JSON_MAX_DEPTH deep.
 *
 * The writer appends to a fixed buffer and remembers overflow; strings are
 * escaped as JSON needs, invalid UTF-8 becomes U+FFFD. */
#ifndef NET_JSON_H
#define NET_JSON_H
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    uint32_t next;       /* next sibling in its array or object, 0 = last */
    const char *key;     /* member name when in an object (decoded, NUL-terminated) */
    uint32_t key_len;
    const char *str;     /* JSON_STRING: decoded, NUL-terminated (may hold NULs) */
    uint32_t len;        /* string length; array/object: members */
    uint32_t first;      /* array/object: first member, 0 = empty */
    double number;
};

struct json_doc {
    struct json_value *v; /* v[0] is the root */
    uint32_t n, cap;
    char *text;
    size_t text_len, text_cap;
    char err[80];         /* what is wrong and where */
};

/* Parses src[0..len). nodes/text: caller's arrays. 0, or -1 with doc->err. */
int json_parse(struct json_doc *doc, const char *src, size_t len, struct json_value *nodes, uint32_t max_nodes,
               char *text, size_t text_cap);

/* The member `key` of object v, or NULL (also when v is not an object). */
const struct json_value *json_member(const struct json_doc *doc, const struct json_value *v, const char *key);
/* The first member of an array or object and the one after m; NULL at the end. */
const struct json_value *json_first(const struct json_doc *doc, const struct json_value *v);
const struct json_value *json_next(const struct json_doc *doc, const struct json_value *m);

/* "null", "boolean", "number", "string", "array", "object" */
const char *json_type_name(enum json_type t);

struct json_out {
    char *buf;
    size_t len, cap;
    int overflow;
};

void json_out_init(struct json_out *o, char *buf, size_t cap);
void json_raw(struct json_out *o, const char *s);
void json_raw_n(struct json_out *o, const char *s, size_t n);
void json_string(struct json_out *o, const char *s, size_t n);
void json_int(struct json_out *o, int64_t v);

#endif
