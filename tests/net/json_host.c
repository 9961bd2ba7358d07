/* json_host.c: the kernel's JSON reader and writer (kernel/net/json.c,
 * json_write.c) as a host program for tests/net/test_json.py: reads one
 * document from the file named on the command line and prints it back in
 * one canonical form (numbers with 17 significant digits, members in their
 * order), or "error: MESSAGE". */
#include <stdio.h>
#include <stdlib.h>

#include "net/json.h"

#define MAX_NODES 100000

static void write_value(const struct json_doc *d, const struct json_value *v, struct json_out *o)
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
    default:
        json_raw(o, v->type == JSON_ARRAY ? "[" : "{");
        for (const struct json_value *m = json_first(d, v); m; m = json_next(d, m)) {
            if (m != json_first(d, v))
                json_raw(o, ",");
            if (v->type == JSON_OBJECT) {
                json_string(o, m->key, m->key_len);
                json_raw(o, ":");
            }
            write_value(d, m, o);
        }
        json_raw(o, v->type == JSON_ARRAY ? "]" : "}");
    }
}

int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (!f) {
        fprintf(stderr, "usage: json_host FILE\n");
        return 2;
    }
    static char in[1 << 20];
    size_t n = fread(in, 1, sizeof in, f);
    fclose(f);
    static struct json_value nodes[MAX_NODES];
    static char text[(1 << 20) + 1], out[8 << 20];
    struct json_doc doc;
    if (json_parse(&doc, in, n, nodes, MAX_NODES, text, sizeof text) != 0) {
        printf("error: %s\n", doc.err);
        return 0;
    }
    struct json_out o;
    json_out_init(&o, out, sizeof out);
    write_value(&doc, &doc.v[0], &o);
    fwrite(o.buf, 1, o.len, stdout);
    return 0;
}
