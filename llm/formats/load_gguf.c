/* load_gguf.c: a model of one of arch.h's families from a validated GGUF
 * file.
 *
 * Hyperparameters come from the `<arch>.*` metadata (llama.cpp's defaults
 * where a key is optional), every tensor the model uses is planned (its
 * shape checked against the hyperparameters) and read by weights.h, and
 * the tokenizer (gpt2 byte-level BPE or llama SentencePiece) is built from
 * the tokenizer.ggml.* arrays of the header, which is read first and freed
 * once the load is done.
 */
#include "formats/gguf.h"
#include "formats/loaders.h"
#include "formats/weights.h"
#include "params.h"
#include "platform.h"
#include "text/tokenizer.h"

static int errf(char *err, size_t errlen, const char *what, struct gguf_str name)
{
    snprintf(err, errlen, "gguf: %s '%.*s'", what, (int)(name.len > 64 ? 64 : name.len), name.ptr);
    return -1;
}

static struct gguf_str cstr(const char *s)
{
    struct gguf_str g = { s, (uint32_t)strlen(s) };
    return g;
}

/* The tensor `name` (its info, checked against a rows x cols shape; ggml:
 * ne[0] = cols), or NULL with err set. */
static const struct gguf_tensor *find_shaped(const struct gguf_file *f, const char *name, uint32_t rows,
                                             uint32_t cols, char *err, size_t errlen)
{
    const struct gguf_tensor *g = gguf_find_tensor(f, name);
    if (!g) {
        errf(err, errlen, "missing tensor", cstr(name));
        return NULL;
    }
    if (g->ne[0] != cols || g->ne[1] != rows || g->ne[2] != 1 || g->ne[3] != 1) {
        errf(err, errlen, "tensor has the wrong shape for the model's hyperparameters:", cstr(name));
        return NULL;
    }
    return g;
}

/* Plans the tensor `name` as the rows x cols matrix t (its data where the
 * file is in memory, else NULL until weights_load reads it). */
static int plan_matrix(const struct gguf_file *f, struct weight_plan *plan, const char *name, uint32_t rows,
                       uint32_t cols, int is_embedding, struct qtensor *t, char *err, size_t errlen)
{
    const struct gguf_tensor *g = find_shaped(f, name, rows, cols, err, errlen);
    if (!g)
        return -1;
    t->type = g->type;
    t->rows = rows;
    t->cols = cols;
    t->row_bytes = (uint32_t)quant_row_bytes(g->type, cols);
    t->data = g->data;
    struct weight_job *j = weights_plan_add(plan);
    j->offset = g->offset;
    j->bytes = g->n_bytes;
    j->use = weights_kept(g->type, is_embedding) ? WEIGHT_KEEP : WEIGHT_REPACK;
    j->type = g->type;
    j->t = t;
    snprintf(j->name, sizeof j->name, "%s", name);
    return 0;
}

/* Plans a norm or bias of dim values into dst (as floats). */
static int plan_vector(const struct gguf_file *f, struct weight_plan *plan, const char *name, float *dst,
                       uint32_t dim, char *err, size_t errlen)
{
    const struct gguf_tensor *g = find_shaped(f, name, 1, dim, err, errlen);
    if (!g)
        return -1;
    struct weight_job *j = weights_plan_add(plan);
    j->offset = g->offset;
    j->bytes = g->n_bytes;
    j->use = WEIGHT_VECTOR;
    j->type = g->type;
    j->dst = dst;
    j->len = dim;
    snprintf(j->name, sizeof j->name, "%s", name);
    return 0;
}

/* "<arch>.<field>" into buf. */
static const char *arch_key(char *buf, size_t n, const char *arch, const char *field)
{
    snprintf(buf, n, "%s.%s", arch, field);
    return buf;
}

int gguf_read_config(const struct gguf_file *f, const struct model_arch *arch, struct model_config *c, char *err,
                     size_t errlen)
{
    char k[96];
    const char *a = arch->name;
    memset(c, 0, sizeof *c);
    c->arch = arch;
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "block_count"), &c->n_layers) ||
        gguf_get_u32(f, arch_key(k, sizeof k, a, "embedding_length"), &c->dim) ||
        gguf_get_u32(f, arch_key(k, sizeof k, a, "feed_forward_length"), &c->hidden_dim) ||
        gguf_get_u32(f, arch_key(k, sizeof k, a, "attention.head_count"), &c->n_heads)) {
        snprintf(err, errlen, "gguf: %.24s hyperparameters missing (block_count, embedding_length, "
                              "feed_forward_length, attention.head_count)", a);
        return -1;
    }
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "attention.head_count_kv"), &c->n_kv_heads))
        c->n_kv_heads = c->n_heads;
    /* The head size is dim / heads unless the file says otherwise (Gemma 3:
     * 256 with dim 640 and 4 heads); keys and values the same size. */
    uint32_t value_len;
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "attention.key_length"), &c->head_dim)) {
        if (c->n_heads == 0 || c->dim % c->n_heads != 0) {
            snprintf(err, errlen, "gguf: embedding size is not a multiple of the head count");
            return -1;
        }
        c->head_dim = c->dim / c->n_heads;
    }
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "attention.value_length"), &value_len) == 0 &&
        value_len != c->head_dim) {
        snprintf(err, errlen, "gguf: key and value heads of different sizes are not supported");
        return -1;
    }
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "rope.dimension_count"), &c->rope_dim))
        c->rope_dim = c->head_dim;
    if (gguf_get_f32(f, arch_key(k, sizeof k, a, "rope.freq_base"), &c->rope_base))
        c->rope_base = 10000.0f;
    if (gguf_get_f32(f, arch_key(k, sizeof k, a, "attention.layer_norm_rms_epsilon"), &c->rms_eps))
        c->rms_eps = 1e-5f;
    if (gguf_get_u32(f, arch_key(k, sizeof k, a, "context_length"), &c->ctx_train))
        c->ctx_train = 2048;
    c->swa_period = arch->swa_period;
    if (c->swa_period &&
        gguf_get_u32(f, arch_key(k, sizeof k, a, "attention.sliding_window"), &c->sliding_window) == 0) {
        if (gguf_get_f32(f, arch_key(k, sizeof k, a, "rope.freq_base_swa"), &c->rope_base_swa))
            c->rope_base_swa = arch->swa_rope_base;
        const struct gguf_kv *pattern = gguf_find(f, arch_key(k, sizeof k, a, "attention.sliding_window_pattern"));
        if (pattern && (gguf_get_u32(f, k, &c->swa_period) != 0 || c->swa_period == 0))
            return errf(err, errlen, "unsupported sliding-window pattern", cstr(k));
    }
    /* What the forward pass does not do: refused rather than run wrong. */
    static const char *const unsupported[] = { "rope.scaling.factor", "final_logit_softcapping",
                                               "attn_logit_softcapping" };
    for (uint32_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        const struct gguf_kv *kv = gguf_find(f, arch_key(k, sizeof k, a, unsupported[i]));
        float v;
        if (kv && !(gguf_get_f32(f, k, &v) == 0 && (v == 0.0f || v == 1.0f)))
            return errf(err, errlen, "unsupported hyperparameter", cstr(k));
    }
    const struct gguf_tensor *emb = gguf_find_tensor(f, "token_embd.weight");
    if (!emb || emb->ne[1] > 0xffffffffu)
        return errf(err, errlen, "missing tensor", cstr("token_embd.weight"));
    c->n_vocab = (uint32_t)emb->ne[1];
    return 0;
}

/* Every tensor the model uses, into the plan (sized for f's tensors). */
static int plan_weights(const struct gguf_file *f, struct llm_model *m, struct weight_plan *plan, char *err,
                        size_t errlen)
{
    struct model_config *c = &m->cfg;
    if (model_alloc(m, err, errlen) != 0)
        return -1;
    if (plan_matrix(f, plan, "token_embd.weight", c->n_vocab, c->dim, 1, &m->tok_embd, err, errlen))
        return -1;
    m->tied_output = gguf_find_tensor(f, "output.weight") == NULL;
    if (m->tied_output)
        m->output = m->tok_embd; /* its bytes once read (weights_load), repacked apart */
    else if (plan_matrix(f, plan, "output.weight", c->n_vocab, c->dim, 0, &m->output, err, errlen))
        return -1;
    if (plan_vector(f, plan, "output_norm.weight", m->output_norm, c->dim, err, errlen))
        return -1;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct model_layer *L = &m->layers[l];
        struct model_matrix mats[MODEL_LAYER_MATRICES];
        model_layer_matrices(c, L, mats);
        char name[64];
        for (size_t i = 0; i < MODEL_LAYER_MATRICES; i++) {
            snprintf(name, sizeof name, "blk.%lu.%s.weight", (unsigned long)l, mats[i].suffix);
            if (plan_matrix(f, plan, name, mats[i].rows, mats[i].cols, 0, mats[i].t, err, errlen))
                return -1;
        }
        struct model_vector vecs[MODEL_LAYER_VECTORS];
        for (uint32_t i = 0, n = model_layer_vectors(c, L, vecs); i < n; i++) {
            snprintf(name, sizeof name, "blk.%lu.%s", (unsigned long)l, vecs[i].name);
            if (plan_vector(f, plan, name, *vecs[i].slot, vecs[i].len, err, errlen))
                return -1;
        }
    }
    return 0;
}

static size_t array_copy_bytes(uint32_t n)
{
    return (size_t)n * 4 + 4;
}

/* A fixed-size-element array `key` of `type` with exactly n elements, copied
 * to aligned memory (file arrays have no alignment). NULL + err when wrong. */
static void *array_copy(const struct gguf_file *f, const char *key, uint32_t type, uint32_t n, char *err,
                        size_t errlen)
{
    const struct gguf_kv *kv;
    if (gguf_get_array(f, key, type, &kv) != 0 || kv->arr_count != n) {
        errf(err, errlen, "missing or malformed array", cstr(key));
        return NULL;
    }
    void *p = llm_alloc(array_copy_bytes(n), 8);
    if (!p)
        snprintf(err, errlen, "gguf: out of memory for %s", key);
    else
        memcpy(p, kv->value, (size_t)n * 4);
    return p;
}

/* What string_array allocates for n strings (both lists are held together). */
static size_t string_array_bytes(uint32_t n)
{
    return (sizeof(struct gguf_str) + sizeof(llm_str)) * ((size_t)n + 1u);
}

static llm_str *string_array(const struct gguf_kv *kv)
{
    uint32_t n = kv->arr_count;
    struct gguf_str *g = llm_alloc(sizeof(struct gguf_str) * (n + 1u), 8);
    llm_str *s = llm_alloc(sizeof(llm_str) * (n + 1u), 8);
    if (g && s) {
        gguf_array_strings(kv, g);
        for (uint32_t i = 0; i < n; i++) {
            s[i].ptr = g[i].ptr;
            s[i].len = g[i].len;
        }
    } else {
        llm_free(s);
        s = NULL;
    }
    llm_free(g);
    return s;
}

size_t gguf_tokenizer_scratch_bytes(uint32_t n_vocab, uint32_t n_merges, int has_types, int spm)
{
    return string_array_bytes(n_vocab) + (n_merges ? string_array_bytes(n_merges) : 0) +
           (has_types ? array_copy_bytes(n_vocab) : 0) + (spm ? array_copy_bytes(n_vocab) : 0);
}

/* llama.cpp makes these pieces control tokens whatever the file's type
 * says (its end-of-generation names): Gemma 3's file, for one, has </s> as
 * a user-defined token, which llama.cpp then leaves in plain text as text.
 * Plain text must not produce them. */
static const char *const EOG_NAMES[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>", "</s>",
};

#define EOG_COUNT (sizeof EOG_NAMES / sizeof EOG_NAMES[0])

static void mark_eog_control(const llm_str *tokens, int32_t *types, uint32_t n)
{
    size_t len[EOG_COUNT];
    uint8_t first[256] = { 0 }; /* the names' first bytes */
    for (size_t k = 0; k < EOG_COUNT; k++) {
        len[k] = strlen(EOG_NAMES[k]);
        first[(uint8_t)EOG_NAMES[k][0]] = 1;
    }
    for (uint32_t i = 0; types && i < n; i++) {
        /* The first byte rejects nearly all of 262,144 pieces: comparing
         * each with every name took 0.2 s under emulation. */
        if (tokens[i].len == 0 || !first[(uint8_t)tokens[i].ptr[0]])
            continue;
        for (size_t k = 0; k < EOG_COUNT; k++)
            if (tokens[i].len == len[k] && memcmp(tokens[i].ptr, EOG_NAMES[k], len[k]) == 0)
                types[i] = TOK_TYPE_CONTROL;
    }
}

int gguf_load_tokenizer(const struct gguf_file *f, struct llm_model *m, int deferred, char *err, size_t errlen)
{
    struct gguf_str model, pre = { "", 0 };
    if (gguf_get_str(f, "tokenizer.ggml.model", &model) != 0)
        return 0; /* no tokenizer: the model runs on token ids */
    int is_gpt2 = gguf_str_eq(model, "gpt2"), is_spm = gguf_str_eq(model, "llama");
    if (!is_gpt2 && !is_spm)
        return errf(err, errlen, "unsupported tokenizer model", model);
    const struct gguf_kv *tokens_kv, *merges_kv = NULL;
    if (gguf_get_array(f, "tokenizer.ggml.tokens", GGUF_STRING, &tokens_kv) != 0)
        return errf(err, errlen, "missing or malformed array", cstr("tokenizer.ggml.tokens"));
    uint32_t n = tokens_kv->arr_count;
    if (m->cfg.n_vocab && n != m->cfg.n_vocab) {
        snprintf(err, errlen, "gguf: tokenizer has %lu tokens but the embedding %lu rows", (unsigned long)n,
                 (unsigned long)m->cfg.n_vocab);
        return -1;
    }
    if (is_gpt2 && gguf_get_array(f, "tokenizer.ggml.merges", GGUF_STRING, &merges_kv) != 0)
        return errf(err, errlen, "missing or malformed array", cstr("tokenizer.ggml.merges"));
    int32_t *types = NULL;
    float *scores = NULL;
    /* A deferred tokenizer takes its merges later (finish_tokenizer), if at all. */
    int need_merges = merges_kv && !deferred;
    llm_str *tokens = string_array(tokens_kv), *merges = need_merges ? string_array(merges_kv) : NULL;
    int rc = -1;
    if (!tokens || (need_merges && !merges)) {
        snprintf(err, errlen, "gguf: out of memory for the vocabulary");
        goto out;
    }
    if (gguf_find(f, "tokenizer.ggml.token_type") &&
        !(types = array_copy(f, "tokenizer.ggml.token_type", GGUF_INT32, n, err, errlen)))
        goto out;
    mark_eog_control(tokens, types, n);
    if (is_gpt2) {
        char pre_name[64] = "";
        if (gguf_get_str(f, "tokenizer.ggml.pre", &pre) == 0)
            snprintf(pre_name, sizeof pre_name, "%.*s", (int)(pre.len > 63 ? 63 : pre.len), pre.ptr);
        m->tok = tok_create_bpe(tokens, types, n, merges, merges_kv->arr_count, pre_name, deferred, err, errlen);
    } else {
        int space_prefix = 1;
        gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &space_prefix);
        if (!(scores = array_copy(f, "tokenizer.ggml.scores", GGUF_FLOAT32, n, err, errlen)))
            goto out;
        m->tok = tok_create_spm(tokens, scores, types, n, space_prefix, deferred, err, errlen);
    }
    if (!m->tok)
        goto out;
    uint32_t bos, eos;
    int32_t b = tok_bos(m->tok), e = tok_eos(m->tok);
    if (gguf_get_u32(f, "tokenizer.ggml.bos_token_id", &bos) == 0)
        b = bos < n ? (int32_t)bos : -2;
    if (gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &eos) == 0)
        e = eos < n ? (int32_t)eos : -2;
    if (b == -2 || e == -2 || tok_set_special(m->tok, b, e) != 0) {
        snprintf(err, errlen, "gguf: BOS or EOS token id out of range");
        goto out;
    }
    m->add_bos = is_spm;
    gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &m->add_bos);
    rc = 0;
out:
    llm_free(tokens);
    llm_free(merges);
    llm_free(types);
    llm_free(scores);
    return rc;
}

/* Completes a tokenizer gguf_load_tokenizer created deferred: its tables
 * as read with the prepared weights when `loaded` (and usable), else built
 * from the file's vocabulary and merges. */
static int finish_tokenizer(const struct gguf_file *f, struct llm_model *m, int loaded, char *err, size_t errlen)
{
    if (!m->tok || (loaded && tok_adopt_tables(m->tok) == 0))
        return 0;
    struct gguf_str model;
    const struct gguf_kv *merges_kv = NULL;
    llm_str *merges = NULL;
    if (gguf_get_str(f, "tokenizer.ggml.model", &model) == 0 && gguf_str_eq(model, "gpt2") &&
        gguf_get_array(f, "tokenizer.ggml.merges", GGUF_STRING, &merges_kv) == 0 &&
        !(merges = string_array(merges_kv))) {
        snprintf(err, errlen, "gguf: out of memory for the vocabulary");
        return -1;
    }
    int rc = tok_build_tables(m->tok, merges, merges ? merges_kv->arr_count : 0, err, errlen);
    llm_free(merges);
    return rc;
}

const struct model_arch *gguf_check_arch(const struct gguf_file *f, struct gguf_str *name, char *err,
                                         size_t errlen)
{
    struct gguf_str a;
    if (gguf_get_str(f, "general.architecture", &a) != 0) {
        snprintf(err, errlen, "gguf: general.architecture missing");
        return NULL;
    }
    if (name)
        *name = a;
    const struct model_arch *arch = arch_find(a.ptr, a.len);
    if (!arch)
        errf(err, errlen, "unsupported architecture", a);
    return arch;
}

/* A copy of the chat template (the header goes when the load ends). */
static int copy_chat_template(const struct gguf_file *f, struct llm_model *m, char *err, size_t errlen)
{
    struct gguf_str tmpl;
    if (!m->tok || gguf_get_str(f, "tokenizer.chat_template", &tmpl) != 0)
        return 0;
    if (!(m->chat_template = llm_alloc((size_t)tmpl.len + 1, 8))) {
        snprintf(err, errlen, "gguf: out of memory for the chat template");
        return -1;
    }
    memcpy(m->chat_template, tmpl.ptr, tmpl.len);
    m->chat_template[tmpl.len] = 0;
    m->chat_template_len = tmpl.len;
    return 0;
}

uint64_t gguf_chat_template_bytes(const struct gguf_file *f)
{
    struct gguf_str tmpl;
    return gguf_get_str(f, "tokenizer.chat_template", &tmpl) == 0 ? (uint64_t)tmpl.len + 1 : 0;
}

/* The header of `file`: in place when the file is in memory, else read into
 * *buf (owned): its `known` bytes (0: unknown), or as the probe reads it, the
 * first LLM_HEADER_FIRST_READ bytes, then what gguf_open_header asks for.
 * *len: the bytes it covers. */
static int open_header(const struct llm_file *file, uint64_t known, struct gguf_file *f, uint8_t **buf,
                       uint64_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = file->size;
    if (file->bytes)
        return gguf_open(f, file->bytes, (size_t)file->size, err, errlen);
    uint64_t have = 0, want = known ? known : LLM_HEADER_FIRST_READ;
    want = want < file->size ? want : file->size;
    for (;;) {
        uint8_t *grown = (size_t)want == want ? llm_alloc((size_t)want, 64) : NULL;
        if (!grown) {
            snprintf(err, errlen, "gguf: out of memory for the header");
            return -1;
        }
        if (have)
            memcpy(grown, *buf, (size_t)have);
        llm_free(*buf);
        *buf = grown;
        if (file->read(file->ctx, have, grown + have, (size_t)(want - have), err, errlen) != 0)
            return -1;
        have = want;
        uint64_t need;
        if (gguf_open_header(f, grown, (size_t)have, file->size, &need, err, errlen) == 0)
            break;
        if (!need || have >= file->size)
            return -1;
        want = gguf_header_next_read(need, have, file->size);
    }
    *len = have;
    return 0;
}

int load_gguf_model(struct llm_model *m, const struct llm_file *file, struct llm_load_options *opt, char *err,
                    size_t errlen)
{
    struct gguf_file f;
    uint8_t *header;
    uint64_t header_len;
    struct weight_plan plan = { 0 };
    if (open_header(file, opt->header_bytes, &f, &header, &header_len, err, errlen) != 0) {
        llm_free(header);
        return -1;
    }
    int rc = -1;
    /* Prepared weights may bring the tokenizer's tables: it is finished
     * once they have been read (or found unusable). */
    int deferred = opt->prepared != NULL;
    struct gguf_str name;
    const struct model_arch *arch = gguf_check_arch(&f, NULL, err, errlen);
    if (!arch)
        goto out;
    snprintf(m->format, sizeof m->format, "gguf");
    if (gguf_get_str(&f, "general.name", &name) == 0)
        snprintf(m->name, sizeof m->name, "%.*s", (int)(name.len > 63 ? 63 : name.len), name.ptr);
    if (weights_plan_init(&plan, f.n_tensors) != 0) {
        snprintf(err, errlen, "gguf: out of memory for the tensor list");
        goto out;
    }
    if (gguf_read_config(&f, arch, &m->cfg, err, errlen) == 0 && plan_weights(&f, m, &plan, err, errlen) == 0 &&
        gguf_load_tokenizer(&f, m, deferred, err, errlen) == 0 && copy_chat_template(&f, m, err, errlen) == 0 &&
        weights_load(m, file, header ? (const void *)header : file->bytes, f.data_start, &plan, opt, err,
                     errlen) == 0 &&
        (!deferred || finish_tokenizer(&f, m, opt->prepared_used, err, errlen) == 0))
        rc = 0;
out:
    weights_plan_free(&plan);
    gguf_close(&f);
    llm_free(header);
    return rc;
}
