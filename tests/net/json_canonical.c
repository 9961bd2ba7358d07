/* json_canonical.c: a parsed JSON document written back in one canonical
 * form (numbers with 17 significant digits, members in their order), for
 * the JSON tests (tests/net/json_host.c) and the fuzz target that checks
 * that what the reader accepts reads the same once written again
 * (tests/fuzz/fuzz_json.c). */
#include <stdio.h>

#include "net/json_canonical.h"

void json_write_canonical(const struct json_doc *d, const struct json_value *v, struct json_out *o)
{
    char num[40];
    switch (v->type) {
    case JSON_NULL: json_raw(o, "null"); break;
    case JSON_TRUE: json_raw(o, "true"); break;
    case JSON_FALSE: json_raw(o, "false"); break;
    case JSON_NUMBER:
        snprintf(num, sizeof num, "%.17g", v->number);
        json_raw(o, num);
        break;
    case JSON_STRING: json_string(o, v->str, v->len); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        json_raw(o, v->type == JSON_ARRAY ? "[" : "{");
        for (const struct json_value *m = json_first(d, v); m; m = json_next(d, m)) {
            if (m != json_first(d, v))
                json_raw(o, ",");
            if (v->type == JSON_OBJECT) {
                json_string(o, m->key, m->key_len);
                json_raw(o, ":");
            }
            json_write_canonical(d, m, o);
        }
        json_raw(o, v->type == JSON_ARRAY ? "]" : "}");
        break;
    }
}
