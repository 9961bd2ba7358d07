/* json_host.c: the kernel's JSON reader and writer (kernel/net/json.c,
 * json_write.c) as a host program for tests/net/test_json.py: reads one
 * document from the file named on the command line and prints it back in
 * the canonical form of json_canonical.c, or "error: MESSAGE". */
#include <stdio.h>
#include <stdlib.h>

#include "net/json_canonical.h"

#define MAX_NODES 100000

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
    json_write_canonical(&doc, &doc.v[0], &o);
    fwrite(o.buf, 1, o.len, stdout);
    return 0;
}
