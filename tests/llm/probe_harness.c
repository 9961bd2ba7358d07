/* probe_harness.c: the header probe and the memory estimate of llm.h, for
 * tests/llm/test_probe.py.
 *
 *   probe_harness MODEL [FIRST]
 *       llm_probe on the file's first FIRST bytes (default 65536), then on as
 *       many as it asks for, as the OS reads a file; prints the model info as
 *       "key value" lines (and "reads N": how many rounds it took), or
 *       "error MESSAGE".
 *   probe_harness MODEL FIRST measure CTX MAX_TOKENS [TOKENIZER.BIN]
 *       the same, then llm_memory_needed's figures ("need_*"), then a real
 *       load of the file read in parts as the OS reads it (llm_load_file),
 *       llm_session_create and a short generation, with the most bytes the
 *       engine held meanwhile by the host allocator's count ("actual_peak").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"
#include "platform.h"
#include "host/platform_host.h"

static void print_info(const struct llm_probe *p, int reads)
{
    const struct llm_model_info *i = &p->info;
    printf("reads %d\nformat %s\narch %s\nname %s\nquant %s\nquant_mix %s\n", reads, i->format, i->arch, i->name,
           i->quant, p->quant_mix);
    printf("n_layers %u\ndim %u\nhidden_dim %u\nn_heads %u\nn_kv_heads %u\nhead_dim %u\nrope_dim %u\n", i->n_layers,
           i->dim, i->hidden_dim, i->n_heads, i->n_kv_heads, i->head_dim, i->rope_dim);
    printf("n_vocab %u\nctx_train %u\nrope_base %.9g\nrms_eps %.9g\n", i->n_vocab, i->ctx_train, i->rope_base,
           i->rms_eps);
    printf("n_params %llu\nweight_bytes %llu\ntied_output %d\nhas_tokenizer %d\nhas_chat_template %d\n",
           (unsigned long long)i->n_params, (unsigned long long)i->weight_bytes, i->tied_output, i->has_tokenizer,
           i->has_chat_template);
    printf("file_size %llu\nversion %u\nalignment %u\nn_kv %u\nn_tensors %u\nheader_bytes %llu\n",
           (unsigned long long)p->file_size, p->version, p->alignment, p->n_kv, p->n_tensors,
           (unsigned long long)p->header_bytes);
}

static int measure(const char *path, const struct llm_probe *p, int ctx, int max_tokens, const char *tok_path)
{
    struct llm_file file, tok = { 0 };
    if (llm_host_file_open(path, &file) != 0 || (tok_path && llm_host_file_open(tok_path, &tok) != 0))
        return 2;
    struct llm_memory need;
    llm_memory_needed(p, (uint32_t)ctx, (uint32_t)max_tokens, tok.size, &need);
    printf("need_file %llu\nneed_tables %llu\nneed_packed %llu\nneed_kv_cache %llu\nneed_work %llu\nneed_select %llu\n"
           "need_total %llu\n", (unsigned long long)need.file, (unsigned long long)need.tables,
           (unsigned long long)need.packed, (unsigned long long)need.kv_cache, (unsigned long long)need.work,
           (unsigned long long)need.select, (unsigned long long)need.total);
    uint64_t live0, peak;
    llm_host_alloc_stats(&live0, &peak);
    llm_host_alloc_reset_peak();
    char err[256];
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.tokenizer = tok_path ? &tok : NULL;
    opt.header_bytes = p->header_bytes; /* as the OS loads: the header in one read */
    llm_model *m = llm_load_file(&file, &opt, err, sizeof err);
    llm_host_file_close(&file);
    llm_host_file_close(&tok);
    if (!m) {
        printf("error %s\n", err);
        return 1;
    }
    struct llm_settings set;
    llm_settings_default(&set);
    set.sampling.temperature = 0;
    set.ctx = ctx;
    set.max_tokens = max_tokens;
    set.chat = 0;
    llm_session *s = llm_session_create(m, &set, err, sizeof err);
    if (!s) {
        printf("error %s\n", err);
        return 1;
    }
    struct llm_result res;
    int32_t ids[2] = { 1, 2 };
    if (llm_generate_ids(s, ids, 2, NULL, NULL, &res, err, sizeof err) != 0) {
        printf("error %s\n", err);
        return 1;
    }
    uint64_t live;
    llm_host_alloc_stats(&live, &peak);
    printf("actual_peak %llu\nactual_held %llu\n", (unsigned long long)(peak - live0),
           (unsigned long long)(live - live0));
    llm_session_free(s);
    llm_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: probe_harness MODEL [FIRST [measure CTX MAX_TOKENS [TOKENIZER.BIN]]]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0)
        return 2;
    uint64_t file_size = (uint64_t)ftell(f);
    uint64_t want = argc > 2 ? strtoull(argv[2], NULL, 0) : 65536;
    if (want > file_size)
        want = file_size;
    struct llm_probe p;
    char err[256];
    int rc, reads = 0;
    uint8_t *buf = NULL;
    do {
        /* Exactly the first `want` bytes, in a buffer of that size (ASan
         * catches a read past it). */
        free(buf);
        buf = malloc(want ? want : 1);
        if (!buf || fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, want, f) != want)
            return 2;
        reads++;
        rc = llm_probe(buf, want, file_size, &p, &want, err, sizeof err);
    } while (rc == 1 && reads < 64);
    free(buf);
    fclose(f);
    if (rc != 0) {
        printf("error %s\n", rc == 1 ? "the probe kept asking for more" : err);
        return 0;
    }
    print_info(&p, reads);
    if (argc > 5 && !strcmp(argv[3], "measure"))
        return measure(argv[1], &p, atoi(argv[4]), atoi(argv[5]), argc > 6 ? argv[6] : NULL);
    return 0;
}
