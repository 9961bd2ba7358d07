/* load.c: llm_load_file (format detection, then the weights prepared for
 * the kernels), llm_model_free, the prepared weights' entry points and the
 * model summary of llm.h. */
#include "llm.h"
#include "formats/loaders.h"
#include "platform.h"
#include "formats/prepared.h"
#include "matmul/select.h"
#include "params.h"
#include "repack_model.h"

llm_model *llm_load(const void *data, size_t size, const void *tok_data, size_t tok_size, char *err, size_t errlen)
{
    struct llm_file file = { size, data, NULL, NULL }, tok = { tok_size, tok_data, NULL, NULL };
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.tokenizer = tok_data ? &tok : NULL;
    return llm_load_file(&file, &opt, err, errlen);
}

/* The first bytes of a file, to tell the formats apart. */
static int magic_of(const struct llm_file *f, uint8_t magic[4], char *err, size_t errlen)
{
    memset(magic, 0, 4);
    if (f->size < 4)
        return 0;
    if (f->bytes) {
        memcpy(magic, f->bytes, 4);
        return 0;
    }
    return f->read(f->ctx, 0, magic, 4, err, errlen);
}

llm_model *llm_load_file(const struct llm_file *file, struct llm_load_options *opt, char *err, size_t errlen)
{
    opt->prepared_used = 0;
    opt->prepared_note[0] = 0;
    /* First, while nothing else is held: measuring the kernels (once per
     * run) takes memory that is freed before the weights come. */
    if (select_init(LLM_SELECT_BUDGET_MS, err, errlen) != 0)
        return NULL;
    struct llm_model *m = llm_alloc(sizeof *m, 8);
    if (!m) {
        snprintf(err, errlen, "out of memory loading the model");
        return NULL;
    }
    memset(m, 0, sizeof *m);
    uint8_t magic[4];
    int rc = magic_of(file, magic, err, errlen);
    if (rc == 0 && memcmp(magic, "GGUF", 4) == 0)
        rc = load_gguf_model(m, file, opt, err, errlen);
    else if (rc == 0)
        rc = load_llama2c_model(m, file, opt->tokenizer, err, errlen);
    if (rc == 0 && !opt->prepared_used)
        rc = rq_repack_rest(m, opt->cancel, err, errlen);
    if (rc == 0)
        rc = rq_finish_model(m, opt->cancel, err, errlen);
    if (rc != 0) {
        llm_model_free(m);
        return NULL;
    }
    return m;
}

void llm_model_free(llm_model *m)
{
    if (!m)
        return;
    rq_release_model(m);
    model_release(m);
    llm_free(m);
}

int llm_save_prepared(const llm_model *m, const struct llm_sink *out, char *err, size_t errlen)
{
    return prepared_write(m, out, err, errlen);
}

uint64_t llm_prepared_size(const llm_model *m)
{
    return prepared_size(m);
}

/* Adds one matrix to the totals; bytes_by_type picks the dominant type. */
static void count(const struct qtensor *t, struct llm_model_info *info, uint64_t *bytes_by_type)
{
    info->n_params += (uint64_t)t->rows * t->cols;
    info->weight_bytes += (uint64_t)t->rows * t->row_bytes;
    bytes_by_type[t->type] += (uint64_t)t->rows * t->row_bytes;
}

void llm_model_get_info(const llm_model *m, struct llm_model_info *info)
{
    const struct model_config *c = &m->cfg;
    memset(info, 0, sizeof *info);
    snprintf(info->format, sizeof info->format, "%s", m->format);
    snprintf(info->name, sizeof info->name, "%s", m->name);
    model_config_info(c, info);
    info->tied_output = m->tied_output;
    info->has_tokenizer = m->tok != NULL;
    info->has_chat_template = m->chat_template != NULL;
    uint64_t by_type[QT_COUNT] = { 0 };
    count(&m->tok_embd, info, by_type);
    if (!m->tied_output)
        count(&m->output, info, by_type);
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct model_matrix mats[MODEL_LAYER_MATRICES];
        model_layer_matrices(c, &m->layers[l], mats);
        for (size_t i = 0; i < MODEL_LAYER_MATRICES; i++)
            count(mats[i].t, info, by_type);
    }
    info->n_params += model_vector_floats(c); /* norms and biases */
    uint32_t best = 0;
    for (uint32_t t = 1; t < QT_COUNT; t++)
        if (by_type[t] > by_type[best])
            best = t;
    snprintf(info->quant, sizeof info->quant, "%s", quant_type_name(best));
}
