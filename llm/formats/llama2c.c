/* llama2c.c: llama2.c's legacy model format and its tokenizer.bin.
 *
 * model.bin: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len), then fp32 tensors in this order:
 * token embedding [vocab][dim], attention norms [L][dim], wq [L][dim][dim],
 * wk [L][kv_dim][dim], wv [L][kv_dim][dim], wo [L][dim][dim], ffn norms
 * [L][dim], w1 [L][hidden][dim], w2 [L][dim][hidden], w3 [L][hidden][dim],
 * final norm [dim], the unused RoPE tables [seq_len][head_dim/2] x 2, and the
 * classifier [vocab][dim] only when vocab_size is negative (positive: shared
 * with the embedding).
 *
 * tokenizer.bin: int32 max_token_length, then per token: f32 score, int32
 * length, the bytes.
 */
#include "formats/loaders.h"
#include "bytes.h"
#include "platform.h"
#include "text/tokenizer.h"

#define HEADER_BYTES LLAMA2C_HEADER_BYTES

static int32_t rd_i32(const uint8_t *p)
{
    return (int32_t)le32(p);
}

/* Reads the header into cfg, each value in 1..2^20; model_alloc then checks
 * them against the engine's limits. */
static int read_header(const uint8_t *p, size_t size, struct model_config *c, int *shared, char *err, size_t errlen)
{
    if (size < HEADER_BYTES) {
        snprintf(err, errlen, "llama2.c: file too short for the header");
        return -1;
    }
    int32_t h[7];
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 7; i++)
        h[i] = rd_i32(p + 4 * i);
    *shared = h[5] > 0;
    if (h[5] < 0)
        h[5] = h[5] == INT32_MIN ? 0 : -h[5];
    for (int i = 0; i < 7; i++) {
        if (h[i] <= 0 || h[i] > (1 << 20)) {
            snprintf(err, errlen, "llama2.c: header value %d out of range (not a llama2.c model?)", (int)h[i]);
            return -1;
        }
    }
    c->dim = (uint32_t)h[0];
    c->hidden_dim = (uint32_t)h[1];
    c->n_layers = (uint32_t)h[2];
    c->n_heads = (uint32_t)h[3];
    c->n_kv_heads = (uint32_t)h[4];
    c->n_vocab = (uint32_t)h[5];
    c->ctx_train = (uint32_t)h[6];
    if (c->dim % c->n_heads != 0) {
        snprintf(err, errlen, "llama2.c: dim is not a multiple of the head count");
        return -1;
    }
    c->arch = arch_find("llama", 5);
    c->head_dim = c->dim / c->n_heads;
    c->rope_dim = c->head_dim;
    c->rope_base = 10000.0f;
    c->rms_eps = 1e-5f;
    return 0;
}

int llama2c_shape(const uint8_t *p, size_t size, uint64_t file_size, struct model_config *c, int *shared, char *err,
                  size_t errlen)
{
    if (read_header(p, size, c, shared, err, errlen) != 0)
        return -1;
    /* Checked before the byte count below, which the engine's limits keep far
     * from overflowing 64 bits (the header's own bounds would not: kv heads
     * times head size alone can reach 2^40). */
    if (model_check_config(c, err, errlen) != 0)
        return -1;
    uint64_t dim = c->dim, hid = c->hidden_dim, L = c->n_layers, kv = (uint64_t)c->n_kv_heads * c->head_dim;
    uint64_t floats = c->n_vocab * dim + L * (2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * dim * hid) + dim +
                      (uint64_t)c->ctx_train * c->head_dim + (*shared ? 0 : c->n_vocab * dim);
    if (floats > (file_size - HEADER_BYTES) / 4) {
        snprintf(err, errlen, "llama2.c: file is shorter than its header says (truncated?)");
        return -1;
    }
    return 0;
}

static struct qtensor f32_matrix(const uint8_t *data, uint32_t rows, uint32_t cols)
{
    struct qtensor t = { QT_F32, rows, cols, cols * 4u, data, NULL };
    return t;
}

size_t llama2c_tokenizer_scratch_bytes(uint32_t n_vocab)
{
    return (sizeof(llm_str) + sizeof(float)) * (size_t)n_vocab;
}

static int load_tokenizer(struct llm_model *m, const uint8_t *p, size_t size, char *err, size_t errlen)
{
    uint32_t n = m->cfg.n_vocab; /* the two lists: llama2c_tokenizer_scratch_bytes */
    llm_str *tokens = llm_alloc(sizeof(llm_str) * n, 8);
    float *scores = llm_alloc(sizeof(float) * n, 8);
    int rc = -1;
    if (!tokens || !scores) {
        snprintf(err, errlen, "llama2.c: out of memory for the tokenizer");
        goto out;
    }
    size_t pos = 4; /* max_token_length: not needed */
    for (uint32_t i = 0; i < n; i++) {
        if (size < 8 || pos > size - 8) {
            snprintf(err, errlen, "tokenizer.bin: truncated at token %lu of %lu", (unsigned long)i, (unsigned long)n);
            goto out;
        }
        memcpy(&scores[i], p + pos, 4);
        int32_t len = rd_i32(p + pos + 4);
        pos += 8;
        if (len < 0 || (size_t)len > size - pos) {
            snprintf(err, errlen, "tokenizer.bin: token %lu has a bad length", (unsigned long)i);
            goto out;
        }
        tokens[i].ptr = (const char *)p + pos;
        tokens[i].len = (uint32_t)len;
        pos += (size_t)len;
    }
    m->tok = tok_create_spm(tokens, scores, NULL, n, 1, 0, err, errlen);
    if (m->tok)
        rc = 0;
out:
    llm_free(tokens);
    llm_free(scores);
    return rc;
}

/* The whole of `file`: in place when it is in memory, else read into a
 * new block (*owned, which the caller frees). NULL with err set. */
static const uint8_t *whole(const struct llm_file *file, uint8_t **owned, const char *what, char *err,
                            size_t errlen)
{
    *owned = NULL;
    if (file->bytes)
        return file->bytes;
    if ((size_t)file->size != file->size || !(*owned = llm_alloc(file->size ? (size_t)file->size : 1, 64))) {
        snprintf(err, errlen, "llama2.c: out of memory for the %s (%lu MiB)", what,
                 (unsigned long)(file->size >> 20));
        return NULL;
    }
    if (file->read(file->ctx, 0, *owned, (size_t)file->size, err, errlen) != 0) {
        llm_free(*owned);
        *owned = NULL;
    }
    return *owned;
}

int load_llama2c_model(struct llm_model *m, const struct llm_file *file, const struct llm_file *tok_file, char *err,
                       size_t errlen)
{
    /* Every tensor is F32, used as it is: the file is the model. */
    const uint8_t *p = whole(file, &m->file_store, "model", err, errlen);
    if (!p)
        return -1;
    size_t size = (size_t)file->size;
    struct model_config *c = &m->cfg;
    int shared;
    if (llama2c_shape(p, size, size, c, &shared, err, errlen) != 0 || model_alloc(m, err, errlen) != 0)
        return -1;
    uint32_t kv = c->n_kv_heads * c->head_dim;
    snprintf(m->format, sizeof m->format, "llama2c");
    uint32_t d = c->dim, h = c->hidden_dim, k = kv;
    const uint8_t *at = p + HEADER_BYTES;
    m->tok_embd = f32_matrix(at, c->n_vocab, d);
    at += (size_t)c->n_vocab * d * 4;
    /* Layer-major tensors: each kind is stacked over the layers. */
    const uint8_t *att_norm = at, *wq = att_norm + (size_t)c->n_layers * d * 4;
    const uint8_t *wk = wq + (size_t)c->n_layers * d * d * 4, *wv = wk + (size_t)c->n_layers * k * d * 4;
    const uint8_t *wo = wv + (size_t)c->n_layers * k * d * 4, *ffn_norm = wo + (size_t)c->n_layers * d * d * 4;
    const uint8_t *w1 = ffn_norm + (size_t)c->n_layers * d * 4, *w2 = w1 + (size_t)c->n_layers * h * d * 4;
    const uint8_t *w3 = w2 + (size_t)c->n_layers * d * h * 4, *final_norm = w3 + (size_t)c->n_layers * h * d * 4;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct model_layer *Ly = &m->layers[l];
        Ly->wq = f32_matrix(wq + (size_t)l * d * d * 4, d, d);
        Ly->wk = f32_matrix(wk + (size_t)l * k * d * 4, k, d);
        Ly->wv = f32_matrix(wv + (size_t)l * k * d * 4, k, d);
        Ly->wo = f32_matrix(wo + (size_t)l * d * d * 4, d, d);
        Ly->w_gate = f32_matrix(w1 + (size_t)l * h * d * 4, h, d);
        Ly->w_down = f32_matrix(w2 + (size_t)l * d * h * 4, d, h);
        Ly->w_up = f32_matrix(w3 + (size_t)l * h * d * 4, h, d);
        memcpy(Ly->attn_norm, att_norm + (size_t)l * d * 4, (size_t)d * 4);
        memcpy(Ly->ffn_norm, ffn_norm + (size_t)l * d * 4, (size_t)d * 4);
    }
    memcpy(m->output_norm, final_norm, (size_t)d * 4);
    m->tied_output = shared;
    m->output = shared ? m->tok_embd
                       : f32_matrix(final_norm + (size_t)d * 4 + (size_t)c->ctx_train * c->head_dim * 4, c->n_vocab, d);
    m->add_bos = 1;
    if (!tok_file)
        return 0;
    if (tok_file->size < 4) {
        snprintf(err, errlen, "tokenizer.bin: file too short");
        return -1;
    }
    uint8_t *owned;
    const uint8_t *tok = whole(tok_file, &owned, "tokenizer", err, errlen);
    int rc = tok ? load_tokenizer(m, tok, (size_t)tok_file->size, err, errlen) : -1;
    llm_free(owned); /* the tokenizer keeps copies */
    return rc;
}
