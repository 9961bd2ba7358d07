/* tok_harness.c: drives llm/text/tokenizer.c for tests/llm/test_tokenizer.py.
 *
 * usage: tok_harness gguf MODEL.gguf   tokenizer of a GGUF, loaded by llm_load
 *        tok_harness tokenizer MODEL.gguf  the GGUF's tokenizer alone
 *                                      (gguf_load_tokenizer: any architecture)
 *        tok_harness vocab FILE        tokenizer from a vocab file the test wrote:
 *   "bpe PRE N_VOCAB N_MERGES\n" or "spm ADD_SPACE_PREFIX N_VOCAB\n", then per
 *   token "TYPE SCORE LEN\n" + LEN bytes, then per merge "LEN\n" + LEN bytes.
 *   All types 0 means no types (NULL), as with llama2.c's tokenizer.bin.
 *
 * stdin holds one request per line (bytes and pieces in hex); answers are one
 * line each:
 *   E HEX              encode          -> ids separated by spaces, or "ERR code"
 *   M MAX HEX          encode into MAX ids -> the tok_encode result
 *   D IDS...           tok_decode      -> HEX
 *   S IDS...           streaming: one HEX chunk per push, then the flush chunk,
 *                      separated by spaces ("-" for an empty chunk)
 *   L HEX              tok_lookup      -> id
 *   I                  -> "n_vocab bos eos max_piece_bytes create_ns"
 *                         (create_ns: the tokenizer's construction time; 0
 *                         in gguf mode)
 *   B REPS HEX         -> "n_ids ns_per_encode" (best of REPS)
 *   U                  -> unicode_class of every code point 0..0x10FFFF, two
 *                         hex digits each
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/gguf.h"
#include "formats/loaders.h"
#include "llm.h"
#include "model.h"
#include "text/tokenizer.h"
#include "text/unicode_tables.h"
#include "harness_file.h"

static void die(const char *what)
{
    fprintf(stderr, "tok_harness: %s\n", what);
    exit(2);
}

static void *slurp(const char *path, size_t *size)
{
    void *data = harness_read_file(path, size);
    if (!data)
        die("cannot read file");
    return data;
}

/* Parses the test's vocab file (see the top of this file). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t create_ns;

static tokenizer *load_vocab_file(const char *path)
{
    size_t size;
    char *file = slurp(path, &size), *p = file, *end = p + size;
    char kind[8], pre[64];
    unsigned n_vocab = 0, n_merges = 0, add_prefix = 0;
    int used = 0;
    if (sscanf(p, "bpe %63s %u %u\n%n", pre, &n_vocab, &n_merges, &used) == 3)
        strcpy(kind, "bpe");
    else if (sscanf(p, "spm %u %u\n%n", &add_prefix, &n_vocab, &used) == 2)
        strcpy(kind, "spm");
    else
        die("bad vocab file header");
    p += used;
    llm_str *tokens = calloc(n_vocab + 1, sizeof *tokens);
    llm_str *merges = calloc(n_merges + 1, sizeof *merges);
    int32_t *types = calloc(n_vocab + 1, sizeof *types);
    float *scores = calloc(n_vocab + 1, sizeof *scores);
    for (unsigned i = 0; i < n_vocab + n_merges; i++) {
        /* strtol and friends, not sscanf: sscanf measures the whole rest
         * of the buffer on every call. */
        char *q;
        int type = i < n_vocab ? (int)strtol(p, &q, 10) : 0;
        float score = i < n_vocab ? strtof(q, &q) : 0;
        unsigned long len = strtoul(i < n_vocab ? q : p, &q, 10);
        if (q >= end || *q != '\n')
            die("bad vocab file entry");
        p = q + 1;
        if (len > (size_t)(end - p))
            die("truncated vocab file");
        llm_str s = {p, len};
        if (i < n_vocab) {
            tokens[i] = s;
            types[i] = type;
            scores[i] = score;
        } else {
            merges[i - n_vocab] = s;
        }
        p += len;
    }
    /* All types 0: no types at all, as llama2.c's tokenizer.bin. */
    int32_t *typed = NULL;
    for (unsigned i = 0; i < n_vocab; i++)
        if (types[i])
            typed = types;
    char err[200];
    uint64_t t0 = now_ns();
    tokenizer *tok = kind[0] == 'b'
                         ? tok_create_bpe(tokens, typed, n_vocab, merges, n_merges, pre, 0, err, sizeof err)
                         : tok_create_spm(tokens, scores, typed, n_vocab, (int)add_prefix, 0, err, sizeof err);
    create_ns = now_ns() - t0;
    if (!tok) {
        printf("ERR %s\n", err);
        exit(1);
    }
    /* The tokenizer copied what it keeps: the file may go (ASan checks it). */
    llm_free(file);
    free(tokens);
    free(merges);
    free(types);
    free(scores);
    return tok;
}

/* The tokenizer of a GGUF without its weights. */
static tokenizer *load_gguf_tokenizer(const void *data, size_t size)
{
    struct gguf_file g;
    struct llm_model *m = calloc(1, sizeof *m);
    char err[200];
    uint64_t t0 = now_ns();
    if (gguf_open(&g, data, size, err, sizeof err) != 0 || gguf_load_tokenizer(&g, m, 0, err, sizeof err) != 0) {
        printf("ERR %s\n", err);
        exit(1);
    }
    create_ns = now_ns() - t0;
    tokenizer *tok = m->tok;
    if (!tok) {
        printf("ERR no tokenizer\n");
        exit(1);
    }
    gguf_close(&g);
    free(m);
    return tok;
}

static size_t unhex(const char *h, char *out)
{
    size_t n = 0;
    unsigned v;
    while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
        out[n++] = (char)v;
        h += 2;
    }
    return n;
}

static void put_hex(const char *s, long n)
{
    if (n == 0)
        fputc('-', stdout);
    for (long i = 0; i < n; i++)
        printf("%02x", (unsigned char)s[i]);
}

static uint32_t parse_ids(char *s, int32_t *ids)
{
    uint32_t n = 0;
    for (char *t = strtok(s, " \n"); t; t = strtok(NULL, " \n"))
        ids[n++] = (int32_t)strtol(t, NULL, 10);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: tok_harness gguf MODEL | tokenizer MODEL | vocab FILE");
    tokenizer *tok;
    llm_model *m = NULL;
    void *data = NULL;
    if (strcmp(argv[1], "gguf") == 0) {
        size_t size;
        data = slurp(argv[2], &size);
        char err[200];
        m = llm_load(data, size, NULL, 0, err, sizeof err);
        if (!m || !m->tok) {
            printf("ERR %s\n", m ? "no tokenizer" : err);
            return 1;
        }
        tok = m->tok;
    } else if (strcmp(argv[1], "tokenizer") == 0) {
        size_t size;
        data = slurp(argv[2], &size);
        tok = load_gguf_tokenizer(data, size);
    } else {
        tok = load_vocab_file(argv[2]);
    }

    size_t cap = 1 << 20;
    char *line = malloc(cap), *text = malloc(cap), *out = malloc(cap);
    int32_t *ids = malloc(cap * sizeof *ids);
    while (fgets(line, (int)cap, stdin)) {
        char *arg = line + 2;
        switch (line[0]) {
        case 'E': {
            int32_t n = tok_encode(tok, text, (uint32_t)unhex(arg, text), ids, (uint32_t)cap);
            if (n < 0)
                printf("ERR %d", n);
            for (int32_t i = 0; i < n; i++)
                printf(i ? " %d" : "%d", ids[i]);
            break;
        }
        case 'M': {
            char *hex;
            uint32_t max = (uint32_t)strtoul(arg, &hex, 10);
            printf("%d", tok_encode(tok, text, (uint32_t)unhex(hex + 1, text), ids, max));
            break;
        }
        case 'D': {
            uint32_t n = parse_ids(arg, ids);
            int32_t r = tok_decode(tok, ids, n, out, (uint32_t)cap);
            if (r < 0)
                printf("ERR %d", r);
            else
                put_hex(out, r);
            break;
        }
        case 'S': {
            uint32_t n = parse_ids(arg, ids);
            tok_stream s;
            tok_stream_init(&s, tok);
            uint32_t room = tok_max_piece_bytes(tok) + 4;
            for (uint32_t i = 0; i <= n; i++) {
                int32_t r = i < n ? tok_stream_push(&s, ids[i], out, room) : tok_stream_flush(&s, out, room);
                if (i)
                    fputc(' ', stdout);
                if (r < 0)
                    printf("ERR%d", r);
                else
                    put_hex(out, r);
            }
            break;
        }
        case 'L': {
            size_t n = unhex(arg, text);
            text[n] = 0;
            printf("%d", tok_lookup(tok, text));
            break;
        }
        case 'I':
            printf("%u %d %d %u %llu", tok_n_vocab(tok), tok_bos(tok), tok_eos(tok), tok_max_piece_bytes(tok),
                   (unsigned long long)create_ns);
            break;
        case 'B': {
            char *hex;
            long reps = strtol(arg, &hex, 10);
            uint32_t len = (uint32_t)unhex(hex + 1, text);
            uint64_t best = UINT64_MAX;
            int32_t n = 0;
            for (long r = 0; r < reps; r++) {
                uint64_t t0 = now_ns();
                n = tok_encode(tok, text, len, ids, (uint32_t)cap);
                uint64_t dt = now_ns() - t0;
                if (dt < best)
                    best = dt;
            }
            printf("%d %llu", n, (unsigned long long)best);
            break;
        }
        case 'U':
            for (uint32_t cp = 0; cp <= 0x10ffff; cp++)
                printf("%02x", unicode_class(cp));
            break;
        default:
            die("unknown request");
        }
        fputc('\n', stdout);
        fflush(stdout);
    }
    /* Everything freed, so the sanitizer build also checks for leaks. */
    if (m)
        llm_model_free(m);
    else
        tok_free(tok);
    llm_free(data);
    free(line);
    free(text);
    free(out);
    free(ids);
    return 0;
}
