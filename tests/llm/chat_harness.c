/* chat_harness.c: drives llm/text/chat.c from tests/llm/test_chat.py with the
 * tokenizer and chat template of a real GGUF file.
 *
 * usage: chat_harness MODEL.gguf [TEMPLATE_FILE]
 * (TEMPLATE_FILE replaces the model's tokenizer.chat_template; "-" = none.)
 * stdin holds requests until EOF:
 *   I                                  -> "family <name> bos <id> eot <ids...>"
 *                                         then a line with the default system prompt
 *   F add_generation_prompt n_msgs     then per message "role len\n" + len bytes
 *                                      (role 0 system, 1 user, 2 assistant)
 *   N eot_generated len\n + len bytes  (chat_format_next of one user turn)
 * F and N answer with one line of ids, or "ERR" when chat_format fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/chat.h"
#include "formats/gguf.h"
#include "formats/loaders.h"
#include "model.h"
#include "text/tokenizer.h"
#include "harness_file.h"

static void die(const char *what)
{
    fprintf(stderr, "chat_harness: %s\n", what);
    exit(2);
}

static void *slurp(const char *path, size_t *size)
{
    void *data = harness_read_file(path, size);
    if (!data)
        die("cannot read file");
    return data;
}

/* The GGUF's tokenizer alone, as the engine's loader builds it. */
static tokenizer *load_tokenizer(const struct gguf_file *g, int *add_bos)
{
    char err[256];
    struct llm_model *m = calloc(1, sizeof *m);
    if (gguf_load_tokenizer(g, m, 0, err, sizeof err) != 0)
        die(err);
    if (!m->tok)
        die("no tokenizer");
    tokenizer *tok = m->tok;
    *add_bos = m->add_bos;
    free(m);
    return tok;
}

static char *read_bytes(unsigned len)
{
    char *buf = malloc(len + 1);
    if (fread(buf, 1, len, stdin) != len)
        die("short message text");
    return buf;
}

static void print_ids(int n, const int32_t *ids)
{
    if (n < 0) {
        printf("ERR\n");
        return;
    }
    for (int i = 0; i < n; i++)
        printf(i ? " %d" : "%d", ids[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: chat_harness MODEL.gguf [TEMPLATE_FILE]");
    size_t size, tsize = 0;
    void *data = slurp(argv[1], &size);
    char err[256];
    struct gguf_file g;
    if (gguf_open(&g, data, size, err, sizeof err))
        die(err);
    int add_bos;
    tokenizer *tok = load_tokenizer(&g, &add_bos);
    struct gguf_str tmpl = {NULL, 0};
    if (argc > 2) {
        if (strcmp(argv[2], "-") != 0)
            tmpl.ptr = slurp(argv[2], &tsize), tmpl.len = (uint32_t)tsize;
    } else {
        gguf_get_str(&g, "tokenizer.chat_template", &tmpl);
    }
    chat_template c;
    if (chat_init(&c, tok, tmpl.ptr, tmpl.len, add_bos, err, sizeof err)) {
        printf("ERR %s\n", err);
        return 0;
    }
    int32_t *ids = malloc(1 << 20);
    int max = (1 << 20) / sizeof(int32_t);
    char op;
    while (scanf(" %c", &op) == 1) {
        if (op == 'I') {
            printf("family %s bos %d eot", chat_family_name(c.family), c.bos);
            for (int i = 0; i < c.n_eot; i++)
                printf(" %d", c.eot[i]);
            printf("\n%.*s\n", (int)c.default_system_len, c.default_system);
        } else if (op == 'F') {
            int gen, n;
            if (scanf("%d %d", &gen, &n) != 2 || n < 0 || n > 64)
                die("bad F");
            chat_message msgs[64];
            for (int i = 0; i < n; i++) {
                unsigned role, len;
                if (scanf("%u %u", &role, &len) != 2 || getchar() != '\n')
                    die("bad message header");
                msgs[i] = (chat_message){(chat_role)role, read_bytes(len), len};
            }
            print_ids(chat_format(&c, msgs, n, gen, ids, max), ids);
            for (int i = 0; i < n; i++)
                free((void *)msgs[i].text);
        } else if (op == 'N') {
            int eot;
            unsigned len;
            if (scanf("%d %u", &eot, &len) != 2 || getchar() != '\n')
                die("bad N");
            chat_message m = {CHAT_USER, read_bytes(len), len};
            print_ids(chat_format_next(&c, &m, eot, ids, max), ids);
            free((void *)m.text);
        } else {
            die("unknown request");
        }
        fflush(stdout);
    }
    return 0;
}
