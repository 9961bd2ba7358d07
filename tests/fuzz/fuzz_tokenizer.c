/* fuzz_tokenizer.c: libFuzzer target for tok_encode with the tokenizers of
 * real GGUF files, built by the engine's own loader (gguf_load_tokenizer):
 * FUZZ_MODEL names one file or several separated by ':' (make test gives
 * SmolLM2's byte-level BPE, Qwen2.5's BPE with the qwen2 pre-tokenizer and
 * user-defined tokens, and Gemma 3's 262k-piece SentencePiece vocab without
 * merges); an input's first byte picks the vocabulary, and the whole input
 * is the text. Any bytes must encode without a memory error, and valid UTF-8
 * must decode back to exactly the input when the vocabulary has a token for
 * each of its bytes (SmolLM2's lacks a few control bytes, which are dropped,
 * as llama.cpp and the HF tokenizer drop them; a SentencePiece vocab decodes
 * a literal U+2581 as a space, so such text is not compared). Streaming
 * decode must release the same text as whole decoding, in complete UTF-8
 * pieces. */
#include <stdio.h>

#include "common.h"
#include "formats/gguf.h"
#include "formats/loaders.h"
#include "model.h"
#include "text/tokenizer.h"

#define MAX_VOCABS 8

static struct vocab {
    tokenizer *tok;
    int spm;           /* SentencePiece: bytes are <0xNN> pieces */
    int has_byte[256]; /* the vocabulary has a token for this byte */
} vocabs[MAX_VOCABS];
static int n_vocabs;

/* GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves,
 * the others for U+0100 onwards in byte order. Writes the UTF-8 piece. */
static void byte_piece(int b, char out[3])
{
    int cp = b, k = 0;
    if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)) {
        cp = 256;
        for (int x = 0; x < b; x++)
            cp += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
    }
    if (cp < 0x80) {
        out[k++] = (char)cp;
    } else {
        out[k++] = (char)(0xc0 | cp >> 6);
        out[k++] = (char)(0x80 | (cp & 0x3f));
    }
    out[k] = 0;
}

/* The tokenizer of one GGUF file; the file's bytes are freed once it is
 * built (the tokenizer keeps copies). */
static void load_vocab(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f || n_vocabs == MAX_VOCABS) {
        fprintf(stderr, "fuzz_tokenizer: cannot open %s (or too many files)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    size_t size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = aligned_alloc(32, (size + 31) / 32 * 32);
    if (!data || fread(data, 1, size, f) != size)
        exit(2);
    fclose(f);
    char err[256];
    struct gguf_file g;
    struct llm_model *m = calloc(1, sizeof *m);
    if (gguf_open(&g, data, size, err, sizeof err) != 0 || gguf_load_tokenizer(&g, m, 0, err, sizeof err) != 0 ||
        !m->tok) {
        fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, m->tok ? err : "no tokenizer");
        exit(2);
    }
    gguf_close(&g);
    free(data);
    struct vocab *v = &vocabs[n_vocabs++];
    v->tok = m->tok;
    free(m);
    v->spm = tok_lookup(v->tok, "<0x41>") >= 0;
    for (int b = 0; b < 256; b++) {
        char piece[8];
        if (v->spm)
            snprintf(piece, sizeof piece, "<0x%02X>", b);
        else
            byte_piece(b, piece);
        v->has_byte[b] = tok_lookup(v->tok, piece) >= 0;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *list = getenv("FUZZ_MODEL");
    if (!list || !*list) {
        fprintf(stderr, "fuzz_tokenizer: set FUZZ_MODEL to GGUF files with tokenizers, separated by ':'\n");
        exit(2);
    }
    char *paths = strdup(list);
    for (char *p = strtok(paths, ":"); p; p = strtok(NULL, ":"))
        load_vocab(p);
    free(paths);
    return 0;
}

/* Well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF) made
 * of bytes the vocabulary has. */
static int round_trips(const struct vocab *v, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!v->has_byte[s[i]] || (v->spm && i + 2 < n && memcmp(s + i, "\xe2\x96\x81", 3) == 0))
            return 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n)
            return 0;
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* Streams ids through tok_stream_push in a buffer of the documented size:
 * the pieces must add up to tok_decode's text and, when `whole_valid` (that
 * text is valid UTF-8), each piece must be valid UTF-8 by itself. */
static void check_stream(const struct vocab *v, const int32_t *ids, uint32_t n, int whole_valid)
{
    const tokenizer *tok = v->tok;
    uint32_t room = tok_max_piece_bytes(tok) + 4;
    size_t cap = (size_t)n * tok_max_piece_bytes(tok) + 8;
    char *whole = malloc(cap), *joined = malloc(cap), *piece = malloc(room);
    int32_t len = tok_decode(tok, ids, n, whole, (uint32_t)cap);
    tok_stream s;
    tok_stream_init(&s, tok);
    size_t at = 0;
    for (uint32_t i = 0; i <= n; i++) {
        int32_t r = i < n ? tok_stream_push(&s, ids[i], piece, room) : tok_stream_flush(&s, piece, room);
        if (r < 0 || (whole_valid && !round_trips(v, (const uint8_t *)piece, (size_t)r))) {
            fprintf(stderr, "stream piece %u: %d bytes, not complete UTF-8\n", i, (int)r);
            abort();
        }
        memcpy(joined + at, piece, (size_t)r);
        at += (size_t)r;
    }
    if (len < 0 || at != (size_t)len || memcmp(joined, whole, at) != 0) {
        fprintf(stderr, "streamed text (%zu bytes) != tok_decode (%d)\n", at, (int)len);
        abort();
    }
    free(whole);
    free(joined);
    free(piece);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    if (size == 0)
        return 0;
    const struct vocab *v = &vocabs[data[0] % n_vocabs];
    const tokenizer *tok = v->tok;
    /* tokenizer.h: never more than 4 * len + 3 ids, and len + 1 for valid
     * UTF-8 (none of these vocabularies adds a space prefix). */
    uint32_t max_ids = 4 * (uint32_t)size + 3;
    int32_t *ids = malloc(max_ids * sizeof *ids);
    int32_t n = tok_encode(tok, (const char *)data, (uint32_t)size, ids, max_ids);
    int valid = round_trips(v, data, size);
    if (n < 0 || (valid && n > (int32_t)size + 1)) {
        fprintf(stderr, "tok_encode gave %d for %zu bytes: more than it promises\n", (int)n, size);
        abort();
    }
    if (valid) {
        char *back = malloc((size_t)n * tok_max_piece_bytes(tok) + 8);
        int32_t len = tok_decode(tok, ids, (uint32_t)n, back, (uint32_t)n * tok_max_piece_bytes(tok) + 8);
        if (len != (int32_t)size || memcmp(back, data, size) != 0) {
            fprintf(stderr, "decode(encode(s)) != s: %zu bytes in, %d out\n", size, (int)len);
            abort();
        }
        free(back);
    }
    check_stream(v, ids, (uint32_t)n, valid);
    /* The same bytes read as token ids: any id sequence decodes alike
     * streamed or whole. */
    uint32_t n_raw = (uint32_t)(size / 2);
    for (uint32_t i = 0; i < n_raw; i++)
        ids[i] = (int32_t)((data[2 * i] | data[2 * i + 1] << 8) % tok_n_vocab(tok));
    check_stream(v, ids, n_raw, 0);
    free(ids);
    return 0;
}
