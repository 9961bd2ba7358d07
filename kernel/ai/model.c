/* model.c: loading, switching and freeing the current model, the memory check
 * that comes before a load, and the session that follows the settings. */
#include "ai/model.h"
#include "ai/model_header.h"
#include "ai/settings.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "fs/progress.h"
#include "lib/ctype.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MODEL_ALIGN 64
#define MIB (1024u * 1024u)
/* The engine's own tables (tokenizer vocabulary and merges, norms, layer
 * descriptors): a generous figure per vocabulary entry plus a fixed part. */
#define TABLE_BYTES_PER_TOKEN 96u
#define TABLE_BYTES_FIXED (4u * MIB)

static struct {
    char name[AI_MODEL_NAME_MAX];
    void *data, *tok;
    llm_model *model;
    llm_session *session;
    uint32_t session_version;
} cur;

const char *ai_model_name(void)
{
    return cur.model ? cur.name : NULL;
}

llm_model *ai_model_current(void)
{
    return cur.model;
}

static void unload(void)
{
    llm_session_free(cur.session);
    llm_model_free(cur.model);
    kfree(cur.data);
    kfree(cur.tok);
    memset(&cur, 0, sizeof cur);
}

static int ends_with(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    if (n <= e)
        return 0;
    for (size_t i = 0; i < e; i++)
        if (tolower((unsigned char)name[n - e + i]) != ext[i])
            return 0;
    return 1;
}

int ai_model_same_name(const char *a, const char *b)
{
    for (; *a && tolower((unsigned char)*a) == tolower((unsigned char)*b); a++, b++)
        ;
    return tolower((unsigned char)*a) == tolower((unsigned char)*b);
}

int ai_model_is_candidate(const char *name)
{
    return ends_with(name, ".gguf") || (ends_with(name, ".bin") && !ai_model_same_name(name, AI_TOKENIZER_NAME));
}

/* Refuses a load that cannot fit, before reading 100 MB for nothing. The
 * engine keeps the file and, for block-quantized matrices, a copy repacked
 * for its integer kernels (about the same size); then the KV cache. */
static int check_memory(const char *name, const struct model_header *h, uint32_t tok_size)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    uint32_t ctx = (uint32_t)ai_settings()->llm.ctx;
    uint64_t kv = model_header_kv_bytes(h, ctx);
    uint64_t work = 4ull * (2ull * h->n_vocab + 8ull * h->dim + 3ull * h->hidden_dim + 4ull * ctx + 65536) +
                    (uint64_t)TABLE_BYTES_PER_TOKEN * h->n_vocab + TABLE_BYTES_FIXED + h->quant_matrix_bytes;
    uint64_t total = (uint64_t)h->file_size + tok_size + kv + work;
    if ((uint64_t)h->file_size + MODEL_ALIGN > hs.largest_free) {
        kprintf("error: not enough memory for %s: the file needs %lu MiB in one piece, the largest free block "
                "is %lu MiB\n", name, (unsigned long)(h->file_size / MIB + 1), (unsigned long)(hs.largest_free / MIB));
        return -1;
    }
    if (total > hs.free) {
        kprintf("error: not enough memory for %s with a context of %lu: it needs %lu MiB (file %lu + KV cache %lu "
                "+ weights prepared and buffers %lu), %lu MiB are free (try a smaller 'set ctx')\n", name, (unsigned long)ctx,
                (unsigned long)(total / MIB + 1), (unsigned long)(h->file_size / MIB), (unsigned long)(kv / MIB),
                (unsigned long)(work / MIB), (unsigned long)(hs.free / MIB));
        return -1;
    }
    return 0;
}

/* Reads a whole file for the engine; the progress bar when `label` is set. */
static int read_whole(const char *name, const char *path, const char *label, void **data, size_t *size)
{
    struct fs_progress p;
    if (label)
        fs_progress_begin(&p, label);
    int rc = fs_read_whole(path, MODEL_ALIGN, data, size, label ? fs_progress_update : NULL, &p);
    if (rc < 0 && label)
        fs_progress_finish(&p);
    if (rc == FS_ECANCELED) {
        kprintf("error: loading %s cancelled\n", name);
        return -1;
    }
    if (rc < 0) {
        kprintf("error: %s: %s\n", path, fs_error_message(rc));
        return -1;
    }
    return 0;
}

int ai_model_load(const char *name)
{
    unload();
    char path[AI_MODEL_NAME_MAX + 16], tok_path[sizeof AI_MODELS_DIR + sizeof AI_TOKENIZER_NAME + 1];
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, name);
    snprintf(tok_path, sizeof tok_path, "%s/%s", AI_MODELS_DIR, AI_TOKENIZER_NAME);
    char err[200];
    struct model_header h;
    if (model_header_read(path, &h, err, sizeof err) != 0) {
        kprintf("error: %s: %s\n", name, err);
        return -1;
    }
    struct fs_stat tst = { 0 };
    int llama2c = !strcmp(h.format, "llama2c");
    if (llama2c && fs_stat(tok_path, &tst) != 0) {
        kprintf("error: %s: a llama2.c model needs %s beside it\n", name, tok_path);
        return -1;
    }
    if (check_memory(name, &h, tst.size) != 0)
        return -1;

    kprintf("loading %s\n", name);
    size_t size, tok_size = 0;
    uint64_t t0 = timer_ns();
    if (read_whole(name, path, "reading", &cur.data, &size) != 0 ||
        (llama2c && read_whole(name, tok_path, NULL, &cur.tok, &tok_size) != 0)) {
        unload();
        return -1;
    }
    uint64_t t1 = timer_ns();
    cur.model = llm_load(cur.data, size, cur.tok, tok_size, err, sizeof err);
    if (!cur.model) {
        kprintf("error: %s: %s\n", name, err);
        unload();
        return -1;
    }
    uint64_t t2 = timer_ns();
    snprintf(cur.name, sizeof cur.name, "%s", name);
    uint32_t read_ms = (uint32_t)((t1 - t0) / 1000000), prep_ms = (uint32_t)((t2 - t1) / 1000000);
    char mb[16];
    model_format_size(mb, sizeof mb, size);
    kprintf("loaded %s: %s %s %s, %s in %lu.%02lu s (read %lu ms, prepare %lu ms)\n", name, h.format, h.arch,
            h.quant, mb, (unsigned long)((read_ms + prep_ms) / 1000),
            (unsigned long)((read_ms + prep_ms) % 1000 / 10), (unsigned long)read_ms, (unsigned long)prep_ms);
    return 0;
}

/* The first model file in /MODELS, GGUF preferred; 0, or -1 if none. */
static int first_model(char *out, size_t n)
{
    struct fs_dir *d;
    if (fs_opendir(AI_MODELS_DIR, &d) != 0)
        return -1;
    struct fs_dirent *e = kmalloc(sizeof *e);
    int found = 0; /* 1: a .bin so far, 2: a .gguf */
    while (e && found < 2 && fs_readdir(d, e) == 1) {
        if (e->is_dir || !ai_model_is_candidate(e->name))
            continue;
        int rank = ends_with(e->name, ".gguf") ? 2 : 1;
        if (rank > found) {
            snprintf(out, n, "%s", e->name);
            found = rank;
        }
    }
    kfree(e);
    fs_closedir(d);
    return found ? 0 : -1;
}

/* Loads the saved choice, or the first model on the disk. */
static int load_default(void)
{
    const char *saved = ai_settings()->model;
    char name[AI_MODEL_NAME_MAX], path[AI_MODEL_NAME_MAX + 16];
    struct fs_stat st;
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, saved);
    if (saved[0] && fs_stat(path, &st) == 0)
        return ai_model_load(saved);
    if (first_model(name, sizeof name) != 0) {
        kprintf("error: no model in %s (add a .gguf file to the disk image: python -m myos image --add FILE)\n",
                AI_MODELS_DIR);
        return -1;
    }
    if (saved[0])
        kprintf("note: the chosen model %s is gone; using %s\n", saved, name);
    return ai_model_load(name);
}

llm_session *ai_model_session(void)
{
    struct ai_settings *st = ai_settings();
    if (!cur.model && load_default() != 0)
        return NULL;
    if (cur.session && cur.session_version == st->version)
        return cur.session;
    llm_session_free(cur.session);
    cur.session = NULL;
    struct llm_model_info info;
    llm_model_get_info(cur.model, &info);
    struct llm_settings set = st->llm;
    set.chat = info.has_chat_template;
    set.system_prompt = st->has_system ? st->system : NULL;
    char err[200];
    cur.session = llm_session_create(cur.model, &set, err, sizeof err);
    if (!cur.session) {
        kprintf("error: %s\n", err);
        return NULL;
    }
    cur.session_version = st->version;
    return cur.session;
}
