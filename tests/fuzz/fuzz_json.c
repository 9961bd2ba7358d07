/* fuzz_json.c: libFuzzer target for the JSON reader and writer
 * (kernel/net/json.c, json_write.c): any bytes must parse or fail with a
 * message; what parses is written out again, and that text must parse to
 * the same document (the writer's output is valid JSON with the same
 * values; numbers agree to 1e-12, as the reader rounds exactly only when
 * the digits fit in 2^53 and the power of ten is at most 10^22). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/json_canonical.h"

#define MAX_NODES 4096

static int same(const struct json_doc *a, const struct json_value *x, const struct json_doc *b,
                const struct json_value *y)
{
    if (x->type != y->type || x->len != y->len || x->key_len != y->key_len ||
        (x->key_len && memcmp(x->key, y->key, x->key_len) != 0))
        return 0;
    if (x->type == JSON_STRING)
        return memcmp(x->str, y->str, x->len) == 0;
    if (x->type == JSON_NUMBER) {
        double d = fabs(x->number - y->number), m = fmax(fabs(x->number), fabs(y->number));
        return d <= 1e-12 * m || d < 1e-300;
    }
    const struct json_value *p = json_first(a, x), *q = json_first(b, y);
    for (; p && q; p = json_next(a, p), q = json_next(b, q))
        if (!same(a, p, b, q))
            return 0;
    return !p && !q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct json_value nodes1[MAX_NODES], nodes2[MAX_NODES];
    char *in = malloc(size ? size : 1);
    memcpy(in, data, size);
    size_t cap = size * 8 + 64;
    char *out = malloc(cap), *text1 = malloc(size + 1), *text2 = malloc(cap + 1);
    struct json_doc d1, d2;
    if (json_parse(&d1, in, size, nodes1, MAX_NODES, text1, size + 1) == 0) {
        struct json_out o;
        json_out_init(&o, out, cap);
        json_write_canonical(&d1, &d1.v[0], &o);
        if (!o.overflow) {
            if (json_parse(&d2, out, o.len, nodes2, MAX_NODES, text2, cap + 1) != 0) {
                fprintf(stderr, "written JSON does not parse again (%s): %.*s\n", d2.err, (int)o.len, out);
                abort();
            }
            if (!same(&d1, &d1.v[0], &d2, &d2.v[0])) {
                fprintf(stderr, "round trip differs: %.*s\n", (int)o.len, out);
                abort();
            }
        }
    } else if (d1.err[0] == 0) {
        abort(); /* a failure must say why */
    }
    free(in);
    free(out);
    free(text1);
    free(text2);
    return 0;
}
