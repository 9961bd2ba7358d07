/* probe.c: llm_probe (llm.h), what a model file is from its first bytes and
 * its size alone, without the weights: for the OS's `models` listing and for
 * the memory check before a load. It reads the file the way the loaders do,
 * with their own code: gguf_open_header (every count, length and offset
 * bounded by the file size), gguf_read_config and model_check_config, the
 * llama2.c header check; and it sizes what the loaders will allocate with
 * the allocating code's own size functions (model_bytes, tok_bytes,
 * rq_repacked_bytes, ...). */
#include "formats/gguf.h"
#include "formats/loaders.h"
#include "formats/weights.h"
#include "llm.h"
#include "matmul/repack.h"
#include "platform.h"
#include "text/tokenizer.h"

/* "F32:61 Q4_1:182 Q8_0:30": tensors per type, in type order; quant is the
 * type holding the most bytes. */
static void type_summary(const struct gguf_file *f, struct llm_probe *p)
{
    uint32_t count[QT_COUNT] = { 0 };
    uint64_t bytes[QT_COUNT] = { 0 };
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const struct gguf_tensor *t = &f->tensors[i];
        count[t->type]++; /* gguf_open_header took only types quant.h knows */
        bytes[t->type] += t->n_bytes;
        p->info.n_params += t->n_elements;
        p->info.weight_bytes += t->n_bytes;
    }
    uint32_t best = 0;
    size_t at = 0;
    for (uint32_t t = 0; t < QT_COUNT; t++) {
        if (bytes[t] > bytes[best])
            best = t;
        if (count[t] && at < sizeof p->quant_mix)
            at += (size_t)snprintf(p->quant_mix + at, sizeof p->quant_mix - at, "%s%s:%lu", at ? " " : "",
                                   quant_type_name(t), (unsigned long)count[t]);
    }
    if (f->n_tensors)
        snprintf(p->info.quant, sizeof p->info.quant, "%s", quant_type_name(best));
}

/* A matrix's share: repacked (packed) or kept as it is in the file
 * (weights_load's store). */
static void count_matrix(const struct gguf_tensor *t, uint32_t rows, uint32_t cols, int is_embedding,
                         struct llm_probe *p)
{
    if (weights_kept(t->type, is_embedding))
        p->kept_bytes += weights_store_bytes(t->n_bytes);
    else
        p->repacked_file_bytes += weights_store_bytes(t->n_bytes);
    p->packed_bytes += rq_repacked_bytes(t->type, rows, cols);
}

/* What the loader will allocate for the matrices: every matrix of a
 * forward pass repacked or kept, the token embedding kept (and repacked
 * when it is the output). Missing or misshapen matrices, which the loader
 * refuses, count nothing. */
static void matrix_bytes(const struct gguf_file *f, const struct model_config *c, struct llm_probe *p)
{
    char name[64];
    struct model_layer L;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct model_matrix mats[MODEL_LAYER_MATRICES];
        model_layer_matrices(c, &L, mats);
        for (uint32_t i = 0; i < MODEL_LAYER_MATRICES; i++) {
            snprintf(name, sizeof name, "blk.%lu.%s.weight", (unsigned long)l, mats[i].suffix);
            const struct gguf_tensor *t = gguf_find_tensor(f, name);
            if (t && t->ne[0] == mats[i].cols && t->ne[1] == mats[i].rows)
                count_matrix(t, mats[i].rows, mats[i].cols, 0, p);
        }
    }
    const struct gguf_tensor *emb = gguf_find_tensor(f, "token_embd.weight"), *out = gguf_find_tensor(f, "output.weight");
    if (emb && emb->ne[0] == c->dim && emb->ne[1] == c->n_vocab) {
        p->kept_bytes += weights_store_bytes(emb->n_bytes);
        if (!out)
            p->packed_bytes += rq_repacked_bytes(emb->type, c->n_vocab, c->dim);
    }
    if (out && out->ne[0] == c->dim && out->ne[1] == c->n_vocab)
        count_matrix(out, c->n_vocab, c->dim, 0, p);
}

/* The tokenizer tok_create_bpe/spm will build, and what the loader holds
 * while building it. */
static void tokenizer_bytes(const struct gguf_file *f, struct llm_probe *p)
{
    struct gguf_str model, tmpl;
    const struct gguf_kv *tokens, *merges;
    if (gguf_get_str(f, "tokenizer.ggml.model", &model) != 0 ||
        gguf_get_array(f, "tokenizer.ggml.tokens", GGUF_STRING, &tokens) != 0)
        return;
    /* As the loader: a chat template counts only with a tokenizer. */
    p->info.has_tokenizer = 1;
    p->info.has_chat_template = gguf_get_str(f, "tokenizer.chat_template", &tmpl) == 0;
    p->table_bytes += gguf_chat_template_bytes(f);
    int bpe = gguf_str_eq(model, "gpt2");
    uint64_t text = 0, merge_text;
    uint32_t n_merges = 0, longest_merge = 0;
    gguf_array_string_stats(tokens, &text, &p->max_piece_bytes);
    if (bpe && gguf_get_array(f, "tokenizer.ggml.merges", GGUF_STRING, &merges) == 0) {
        n_merges = merges->arr_count;
        gguf_array_string_stats(merges, &merge_text, &longest_merge);
    }
    p->table_bytes += tok_bytes(bpe, tokens->arr_count, text, n_merges, longest_merge);
    p->load_bytes += gguf_tokenizer_scratch_bytes(tokens->arr_count, n_merges,
                                                  gguf_find(f, "tokenizer.ggml.token_type") != NULL, !bpe);
}

static int probe_gguf(const void *head, size_t len, uint64_t file_size, struct llm_probe *p, uint64_t *need,
                      char *err, size_t errlen)
{
    struct gguf_file f;
    uint64_t want;
    if (gguf_open_header(&f, head, len, file_size, &want, err, errlen) != 0) {
        if (!want)
            return -1;
        *need = gguf_header_next_read(want, len, file_size);
        return 1;
    }
    snprintf(p->info.format, sizeof p->info.format, "gguf");
    p->version = f.version;
    p->alignment = f.alignment;
    p->n_kv = f.n_kv;
    p->n_tensors = f.n_tensors;
    p->header_bytes = f.data_start;
    int rc = -1;
    struct gguf_str arch = { "", 0 }, name;
    const struct model_arch *family = gguf_check_arch(&f, &arch, err, errlen);
    snprintf(p->info.arch, sizeof p->info.arch, "%.*s", (int)(arch.len < 23 ? arch.len : 23), arch.ptr);
    if (gguf_get_str(&f, "general.name", &name) == 0)
        snprintf(p->info.name, sizeof p->info.name, "%.*s", (int)(name.len > 63 ? 63 : name.len), name.ptr);
    type_summary(&f, p);
    struct model_config c;
    if (!family || gguf_read_config(&f, family, &c, err, errlen) != 0 || model_check_config(&c, err, errlen) != 0)
        goto out;
    model_config_info(&c, &p->info);
    p->info.tied_output = gguf_find_tensor(&f, "output.weight") == NULL;
    p->table_bytes = model_bytes(&c);
    matrix_bytes(&f, &c, p);
    /* The header as the loader reads it (these first bytes when the probe
     * was given what it asked for), its index, the tensor list and a part
     * of a tensor. */
    p->load_bytes = len + gguf_header_bytes(f.n_kv, f.n_tensors) + weights_plan_bytes(f.n_tensors) +
                    weights_stream_bytes();
    tokenizer_bytes(&f, p);
    rc = 0;
out:
    gguf_close(&f);
    return rc;
}

static int probe_llama2c(const void *head, size_t len, uint64_t file_size, struct llm_probe *p, uint64_t *need,
                         char *err, size_t errlen)
{
    if (len < LLAMA2C_HEADER_BYTES && file_size > len) {
        *need = file_size < LLAMA2C_HEADER_BYTES ? file_size : LLAMA2C_HEADER_BYTES;
        return 1;
    }
    struct model_config c;
    int shared;
    if (llama2c_shape(head, len, file_size, &c, &shared, err, errlen) != 0)
        return -1;
    snprintf(p->info.format, sizeof p->info.format, "llama2c");
    snprintf(p->info.arch, sizeof p->info.arch, "llama");
    snprintf(p->info.quant, sizeof p->info.quant, "F32");
    model_config_info(&c, &p->info);
    p->info.tied_output = shared;
    /* The weight matrices and the norms (load_llama2c_model's layout). */
    uint64_t kv = (uint64_t)c.n_kv_heads * c.head_dim, d = c.dim, h = c.hidden_dim;
    p->info.n_params = (uint64_t)c.n_vocab * d * (shared ? 1 : 2) + d +
                       c.n_layers * (2 * d + 2 * d * d + 2 * kv * d + 3 * d * h);
    p->info.weight_bytes = 4 * p->info.n_params;
    snprintf(p->quant_mix, sizeof p->quant_mix, "F32:%lu", (unsigned long)(MODEL_LAYER_MATRICES * c.n_layers +
                                                                            (2 * c.n_layers + 1) + (shared ? 1 : 2)));
    p->table_bytes = model_bytes(&c);
    /* F32 is not repacked (packed_bytes 0): the loader keeps the whole file. */
    p->kept_bytes = file_size;
    return 0;
}

int llm_probe(const void *head, size_t len, uint64_t file_size, struct llm_probe *p, uint64_t *need, char *err,
              size_t errlen)
{
    memset(p, 0, sizeof *p);
    *need = 0;
    p->file_size = file_size;
    if (len > file_size)
        len = (size_t)file_size;
    if (file_size == 0) {
        snprintf(err, errlen, "empty file");
        return -1;
    }
    if (len < 4 && file_size > len) {
        *need = file_size < 4 ? file_size : 4;
        return 1;
    }
    if (len >= 4 && memcmp(head, "GGUF", 4) == 0)
        return probe_gguf(head, len, file_size, p, need, err, errlen);
    return probe_llama2c(head, len, file_size, p, need, err, errlen);
}
