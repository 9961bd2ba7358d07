/* adapter_gguf.c: LoRA adapters as GGUF files in llama.cpp's format (the
 * one convert_lora_to_gguf.py writes and llama_adapter_lora_init reads):
 * general.architecture of the base model, general.type "adapter",
 * adapter.type "lora", adapter.lora.alpha; per adapted matrix
 * "blk.N.<name>.weight.lora_a" with ne [cols, rank] (A, rank rows of cols)
 * and ".lora_b" with ne [rank, rows] (B). This engine writes F32 tensors
 * and reads F32 or F16 ones. The bytes are built in memory: the caller
 * writes the file (fs_write_whole in the OS). */
#include "train/train.h"

#include "model.h"
#include "platform.h"
#include "formats/gguf.h"
#include "matmul/quant.h"

#define ADAPTER_ALIGN 32u
#define ADAPTER_KVS 4u

/* The tensor name of target t of layer l, A or B. */
static void tensor_name(const struct model_config *c, uint32_t l, uint32_t t, int is_b, char *buf, size_t n)
{
    struct model_layer layer;
    struct model_matrix mats[MODEL_LAYER_MATRICES];
    model_layer_matrices(c, &layer, mats);
    snprintf(buf, n, "blk.%u.%s.weight.lora_%c", l, mats[t].suffix, is_b ? 'b' : 'a');
}

/* A little writer that only counts when out is NULL. */
struct writer {
    uint8_t *out;
    uint64_t at;
};

static void put(struct writer *w, const void *p, uint64_t n)
{
    if (w->out)
        memcpy(w->out + w->at, p, (size_t)n);
    w->at += n;
}

static void put_u32(struct writer *w, uint32_t v)
{
    put(w, &v, 4);
}

static void put_u64(struct writer *w, uint64_t v)
{
    put(w, &v, 8);
}

static void put_str(struct writer *w, const char *s)
{
    put_u64(w, strlen(s));
    put(w, s, strlen(s));
}

static void put_kv_str(struct writer *w, const char *key, const char *value)
{
    put_str(w, key);
    put_u32(w, GGUF_STRING);
    put_str(w, value);
}

static void pad(struct writer *w)
{
    static const uint8_t zeros[ADAPTER_ALIGN];
    put(w, zeros, (ADAPTER_ALIGN - w->at % ADAPTER_ALIGN) % ADAPTER_ALIGN);
}

/* The whole file, in the order GGUF lays it out. */
static void write_all(const llm_model *m, const struct lora_adapter *ad, struct writer *w)
{
    const struct model_config *c = &m->cfg;
    uint32_t n_mats = 0;
    for (uint32_t t = 0; t < LORA_TARGETS; t++)
        n_mats += ad->targets >> t & 1;
    put(w, "GGUF", 4);
    put_u32(w, 3);
    put_u64(w, 2ull * n_mats * ad->n_layers);
    put_u64(w, ADAPTER_KVS);
    put_kv_str(w, "general.architecture", m->cfg.arch->name);
    put_kv_str(w, "general.type", "adapter");
    put_kv_str(w, "adapter.type", "lora");
    put_str(w, "adapter.lora.alpha");
    put_u32(w, GGUF_FLOAT32);
    put(w, &ad->alpha, 4);
    uint64_t offset = 0;
    char name[64];
    for (uint32_t l = 0; l < ad->n_layers; l++) {
        for (uint32_t t = 0; t < LORA_TARGETS; t++) {
            const struct lora_matrix *lm = &ad->mats[l * LORA_TARGETS + t];
            if (!lm->a)
                continue;
            for (int is_b = 0; is_b < 2; is_b++) {
                tensor_name(c, l, t, is_b, name, sizeof name);
                put_str(w, name);
                put_u32(w, 2);
                put_u64(w, is_b ? ad->rank : lm->cols);
                put_u64(w, is_b ? lm->rows : ad->rank);
                put_u32(w, QT_F32);
                put_u64(w, offset);
                uint64_t bytes = (uint64_t)ad->rank * (is_b ? lm->rows : lm->cols) * sizeof(float);
                offset += (bytes + ADAPTER_ALIGN - 1) / ADAPTER_ALIGN * ADAPTER_ALIGN;
            }
        }
    }
    pad(w);
    for (uint32_t l = 0; l < ad->n_layers; l++) {
        for (uint32_t t = 0; t < LORA_TARGETS; t++) {
            const struct lora_matrix *lm = &ad->mats[l * LORA_TARGETS + t];
            if (!lm->a)
                continue;
            put(w, lm->a, (uint64_t)ad->rank * lm->cols * sizeof(float));
            pad(w);
            put(w, lm->b, (uint64_t)ad->rank * lm->rows * sizeof(float));
            pad(w);
        }
    }
}

uint64_t lora_gguf_bytes(const llm_model *m, const struct lora_adapter *ad)
{
    struct writer w = { NULL, 0 };
    write_all(m, ad, &w);
    return w.at;
}

void lora_gguf_write(const llm_model *m, const struct lora_adapter *ad, uint8_t *out)
{
    struct writer w = { out, 0 };
    write_all(m, ad, &w);
}

/* ---- reading ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "lora: %s", what);
    return -1;
}

/* Copies a tensor of n floats (F32 or F16) into out. */
static void tensor_floats(const struct gguf_tensor *t, float *out, uint64_t n)
{
    if (t->type == QT_F32) {
        memcpy(out, t->data, (size_t)n * sizeof(float));
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, t->data + 2 * i, 2);
        out[i] = quant_f16_to_f32(h);
    }
}

/* The rank and targets the file's tensor names and shapes give, checked
 * against the model's shape c: 0, or -1 with err set. */
static int read_shape(const struct model_config *c, const struct gguf_file *f, uint32_t *rank, uint32_t *targets,
                      char *err, size_t errlen)
{
    struct model_layer layer;
    struct model_matrix mats[MODEL_LAYER_MATRICES];
    model_layer_matrices(c, &layer, mats);
    char name[64];
    uint32_t found = 0;
    *rank = 0;
    *targets = 0;
    for (uint32_t t = 0; t < LORA_TARGETS; t++) {
        tensor_name(c, 0, t, 0, name, sizeof name);
        if (gguf_find_tensor(f, name))
            *targets |= 1u << t;
    }
    if (!*targets)
        return fail(err, errlen, "no LoRA tensors for this model's layers (blk.0.*.lora_a)");
    for (uint32_t l = 0; l < c->n_layers; l++) {
        for (uint32_t t = 0; t < LORA_TARGETS; t++) {
            if (!(*targets >> t & 1))
                continue;
            tensor_name(c, l, t, 0, name, sizeof name);
            const struct gguf_tensor *a = gguf_find_tensor(f, name);
            tensor_name(c, l, t, 1, name, sizeof name);
            const struct gguf_tensor *b = gguf_find_tensor(f, name);
            if (!a || !b) {
                snprintf(err, errlen, "lora: %s or its pair is missing", name);
                return -1;
            }
            if ((a->type != QT_F32 && a->type != QT_F16) || a->type != b->type) {
                snprintf(err, errlen, "lora: %s is %s (F32 or F16 expected)", name, quant_type_name(b->type));
                return -1;
            }
            if (!*rank)
                *rank = (uint32_t)a->ne[1];
            if (a->n_dims != 2 || b->n_dims != 2 || a->ne[0] != mats[t].cols || a->ne[1] != *rank ||
                b->ne[0] != *rank || b->ne[1] != mats[t].rows) {
                snprintf(err, errlen, "lora: %s has the shape of another model's adapter", name);
                return -1;
            }
            found += 2;
        }
    }
    if (found != f->n_tensors)
        return fail(err, errlen, "the file has tensors this model has no place for (an adapter for another model?)");
    return 0;
}

/* The checks of an adapter file against a model of shape c and
 * architecture arch: its type, architecture, alpha and tensor shapes. 0
 * with *alpha, *rank and *targets, or -1 with one line in err. */
static int check_file(const struct model_config *c, const char *arch, const struct gguf_file *f, float *alpha,
                      uint32_t *rank, uint32_t *targets, char *err, size_t errlen)
{
    struct gguf_str s;
    if (gguf_get_str(f, "general.type", &s) != 0 || !gguf_str_eq(s, "adapter") ||
        gguf_get_str(f, "adapter.type", &s) != 0 || !gguf_str_eq(s, "lora"))
        return fail(err, errlen, "not a LoRA adapter (general.type adapter, adapter.type lora)");
    if (gguf_get_str(f, "general.architecture", &s) != 0 || !gguf_str_eq(s, arch)) {
        snprintf(err, errlen, "lora: the adapter is not for a %s model", arch);
        return -1;
    }
    if (gguf_get_f32(f, "adapter.lora.alpha", alpha) != 0)
        return fail(err, errlen, "adapter.lora.alpha is missing");
    return read_shape(c, f, rank, targets, err, errlen);
}

int lora_gguf_read(const llm_model *m, const void *data, size_t size, struct lora_adapter *ad, char *err,
                   size_t errlen)
{
    struct gguf_file f;
    memset(ad, 0, sizeof *ad);
    if (gguf_open(&f, data, size, err, errlen) != 0)
        return -1;
    float alpha;
    uint32_t rank, targets;
    int rc = -1;
    if (check_file(&m->cfg, m->cfg.arch->name, &f, &alpha, &rank, &targets, err, errlen) == 0 &&
        lora_create(ad, &m->cfg, rank, alpha, targets, err, errlen) == 0) {
        char name[64];
        for (uint32_t l = 0; l < ad->n_layers; l++) {
            for (uint32_t t = 0; t < LORA_TARGETS; t++) {
                struct lora_matrix *lm = &ad->mats[l * LORA_TARGETS + t];
                if (!lm->a)
                    continue;
                tensor_name(&m->cfg, l, t, 0, name, sizeof name);
                tensor_floats(gguf_find_tensor(&f, name), lm->a, (uint64_t)rank * lm->cols);
                tensor_name(&m->cfg, l, t, 1, name, sizeof name);
                tensor_floats(gguf_find_tensor(&f, name), lm->b, (uint64_t)rank * lm->rows);
            }
        }
        rc = 0;
    }
    gguf_close(&f);
    return rc;
}

int lora_gguf_fits(const struct llm_model_info *info, const void *data, size_t size, uint32_t *rank,
                   uint32_t *targets, char *err, size_t errlen)
{
    struct model_config c;
    memset(&c, 0, sizeof c);
    c.n_layers = info->n_layers;
    c.dim = info->dim;
    c.hidden_dim = info->hidden_dim;
    c.n_heads = info->n_heads;
    c.n_kv_heads = info->n_kv_heads;
    c.head_dim = info->head_dim;
    struct gguf_file f;
    if (gguf_open(&f, data, size, err, errlen) != 0)
        return -1;
    float alpha;
    int rc = check_file(&c, info->arch, &f, &alpha, rank, targets, err, errlen);
    gguf_close(&f);
    return rc;
}
