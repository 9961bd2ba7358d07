/* loader_harness.c: loads mutated copies of a model file (and tokenizer.bin)
 * for tests/llm/test_loaders.py; built with AddressSanitizer and UBSan so any
 * read outside the file bytes aborts.
 *
 *   loader_harness [--eval] MODEL [TOKENIZER]
 * Then one command per stdin line, one result line per command ("ok ..." or
 * "error: ..."):
 *   trunc N            the model cut to N bytes
 *   set OFF HEX        the model with bytes at OFF replaced by HEX
 *   tok-trunc N / tok-set OFF HEX   the same for the tokenizer
 * Every attempt gets a fresh, exactly sized copy (so ASan sees its end).
 * --eval: a loaded model also runs two tokens and a short generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"
#include "platform.h"

struct blob {
    unsigned char *data;
    size_t size;
};

static struct blob slurp(const char *path)
{
    struct blob b = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    b.size = (size_t)ftell(f);
    b.data = malloc(b.size + 1);
    if (fseek(f, 0, SEEK_SET) != 0 || fread(b.data, 1, b.size, f) != b.size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    return b;
}

/* A copy of b cut to n bytes, with `patch` (hex) written at off when given. */
static struct blob mutate(const struct blob *b, size_t n, size_t off, const char *patch)
{
    struct blob m;
    m.size = n < b->size ? n : b->size;
    m.data = llm_alloc(m.size, 32);
    memcpy(m.data, b->data, m.size);
    for (size_t i = 0; patch && patch[2 * i] && patch[2 * i + 1]; i++) {
        unsigned v;
        if (off + i < m.size && sscanf(patch + 2 * i, "%2x", &v) == 1)
            m.data[off + i] = (unsigned char)v;
    }
    return m;
}

static int sink(void *user, const char *text, size_t len)
{
    (void)user;
    (void)text;
    (void)len;
    return 0;
}

static void attempt(const struct blob *model, const struct blob *tok, int eval)
{
    char err[256];
    llm_model *m = llm_load(model->data, model->size, tok ? tok->data : NULL, tok ? tok->size : 0, err, sizeof err);
    if (!m) {
        printf("error: %s\n", err);
        return;
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    if (eval) {
        struct llm_settings set;
        llm_settings_default(&set);
        set.ctx = 16;
        set.max_tokens = 4;
        llm_session *s = llm_session_create(m, &set, err, sizeof err);
        if (!s) {
            printf("error: %s\n", err);
            llm_model_free(m);
            return;
        }
        int32_t ids[2] = { 0, (int32_t)(info.n_vocab - 1) };
        struct llm_result r;
        int rc = info.has_tokenizer ? llm_generate(s, "Once upon", 9, sink, NULL, &r, err, sizeof err)
                                    : llm_generate_ids(s, ids, 2, sink, NULL, &r, err, sizeof err);
        llm_session_free(s);
        if (rc != 0) {
            printf("error: %s\n", err);
            llm_model_free(m);
            return;
        }
    }
    printf("ok %s %u layers vocab %u\n", info.format, info.n_layers, info.n_vocab);
    llm_model_free(m);
}

int main(int argc, char **argv)
{
    int eval = argc > 1 && !strcmp(argv[1], "--eval");
    if (argc < 2 + eval) {
        fprintf(stderr, "usage: loader_harness [--eval] MODEL [TOKENIZER]\n");
        return 2;
    }
    struct blob model = slurp(argv[1 + eval]);
    struct blob tok = { NULL, 0 };
    int has_tok = argc > 2 + eval;
    if (has_tok)
        tok = slurp(argv[2 + eval]);
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        char cmd[16], hex[2048] = "";
        unsigned long long a = 0;
        if (sscanf(line, "%15s %llu %2047s", cmd, &a, hex) < 2) {
            printf("bad command\n");
            continue;
        }
        int on_tok = !strncmp(cmd, "tok-", 4);
        const char *op = on_tok ? cmd + 4 : cmd;
        const struct blob *target = on_tok ? &tok : &model;
        struct blob m = !strcmp(op, "trunc") ? mutate(target, (size_t)a, 0, NULL)
                                             : mutate(target, target->size, (size_t)a, hex);
        if (on_tok)
            attempt(&model, &m, eval);
        else
            attempt(&m, has_tok ? &tok : NULL, eval);
        llm_free(m.data);
        fflush(stdout);
    }
    free(model.data);
    free(tok.data);
    return 0;
}
