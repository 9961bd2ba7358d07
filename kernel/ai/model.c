/* model.c: loading, switching and freeing the current model, the checks that
 * come before a load (the file's header and the memory it needs, both from
 * the engine: llm_probe and llm_memory_needed), and the session that
 * follows the settings. A switch that cannot work leaves the current model
 * loaded. */
#include "ai/lora.h"
#include "ai/model.h"
#include "ai/names.h"
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
#define MIB (1024.0 * 1024.0)
/* The first read of a header; llm_probe asks for more when it is longer
 * (SmolLM2's vocabulary makes its header about 2 MB). */
#define PROBE_FIRST_READ 65536u

static struct {
    char name[AI_MODEL_NAME_MAX];
    void *data, *tok;
    llm_model *model;
    llm_session *session;
    uint32_t session_version;
    size_t model_held, session_held; /* heap bytes the model and the session took */
    size_t data_size;
} cur;

const char *ai_model_name(void)
{
    return cur.model ? cur.name : NULL;
}

llm_model *ai_model_current(void)
{
    return cur.model;
}

static void free_session(void)
{
    llm_session_free(cur.session);
    cur.session = NULL;
    cur.session_held = 0;
}

static void unload(void)
{
    ai_lora_model_unloading();
    free_session();
    llm_model_free(cur.model);
    kfree(cur.data);
    kfree(cur.tok);
    memset(&cur, 0, sizeof cur);
}

static size_t heap_used(void)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    return hs.used;
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
    return (ends_with(name, ".gguf") && !ends_with(name, AI_LORA_SUFFIX)) ||
           (ends_with(name, ".bin") && !ai_model_same_name(name, AI_TOKENIZER_NAME));
}

/* Reads more of f into *buf until it holds `want` bytes (or the file ends). */
static int read_more(struct fs_file *f, uint8_t **buf, size_t *have, size_t want, char *err, size_t errlen)
{
    uint8_t *grown = krealloc(*buf, want ? want : 1);
    if (!grown) {
        snprintf(err, errlen, "out of memory reading the header (%.1f MiB)", (double)want / MIB);
        return -1;
    }
    *buf = grown;
    while (*have < want) {
        long got = fs_read(f, *buf + *have, want - *have);
        if (got < 0) {
            snprintf(err, errlen, "%s", fs_error_message((int)got));
            return -1;
        }
        if (got == 0)
            break;
        *have += (size_t)got;
    }
    return 0;
}

int ai_model_probe(const char *path, struct llm_probe *p, char *err, size_t errlen)
{
    struct fs_file *f;
    int rc = fs_open(path, FS_O_READ, &f);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, fs_error_message(rc));
        return -1;
    }
    uint32_t size = fs_size(f);
    uint8_t *buf = NULL;
    size_t have = 0;
    uint64_t want = size < PROBE_FIRST_READ ? size : PROBE_FIRST_READ;
    for (rc = 1; rc == 1;) {
        if (read_more(f, &buf, &have, (size_t)want, err, errlen) != 0) {
            rc = -1;
            break;
        }
        rc = llm_probe(buf, have, size, p, &want, err, errlen);
        if (rc == 1 && want <= have) { /* the file ended early: it shrank while read */
            snprintf(err, errlen, "the file changed while it was read");
            rc = -1;
        }
    }
    kfree(buf);
    fs_close(f);
    return rc;
}

static void tokenizer_path(char *out, size_t n)
{
    snprintf(out, n, "%s/%s", AI_MODELS_DIR, AI_TOKENIZER_NAME);
}

/* Refuses a load that cannot fit, before the current model is freed or 100
 * MB are read for nothing: what the engine says the model and a session of
 * the chosen context need, against the free memory and what the current
 * model would give back. */
static int check_memory(const char *name, const struct llm_probe *p, uint32_t tok_size)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    const struct llm_settings *st = &ai_settings()->llm;
    uint32_t ctx = (uint32_t)st->ctx, max_tokens = st->max_tokens < 0 ? ctx : (uint32_t)st->max_tokens;
    struct llm_memory need;
    llm_memory_needed(p, ctx, max_tokens, tok_size, &need);
    double free_now = (double)hs.free + (double)(cur.model_held + cur.session_held);
    /* The file is one block: today's largest, or the current file's block
     * once it is freed. */
    size_t largest = hs.largest_free > cur.data_size ? hs.largest_free : cur.data_size;
    if ((uint64_t)p->file_size + MODEL_ALIGN > largest) {
        kprintf("error: not enough memory for %s: the file needs %.1f MiB in one piece, the largest free block "
                "is %.1f MiB\n", name, (double)p->file_size / MIB, (double)largest / MIB);
        return -1;
    }
    if ((double)need.total > free_now) {
        kprintf("error: not enough memory for %s with a context of %lu: it needs %.1f MiB (file %.1f, KV cache "
                "%.1f, tables and prepared weights %.1f, buffers %.1f), %.1f MiB are free%s (try a smaller "
                "'set ctx')\n", name, (unsigned long)ctx, (double)need.total / MIB, (double)need.file / MIB,
                (double)need.kv_cache / MIB, (double)(need.tables + need.packed) / MIB, (double)need.work / MIB,
                free_now / MIB, cur.model ? " with the current model unloaded" : "");
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

/* The engine's cancel poll during a load: Ctrl+C on the console, remembered
 * so that the caller can tell a stop from a failure. */
static int load_cancel_requested(void *ctx)
{
    int *cancelled = ctx;
    if (!*cancelled && console_poll_cancel())
        *cancelled = 1;
    return *cancelled;
}

/* Reads and loads a checked model into cur (nothing loaded before): 0, or
 * -1 with an error line printed and nothing loaded. */
static int load_checked(const char *name, const char *path, const struct llm_probe *p)
{
    char tok_path[sizeof AI_MODELS_DIR + sizeof AI_TOKENIZER_NAME + 1], err[200];
    tokenizer_path(tok_path, sizeof tok_path);
    int llama2c = !strcmp(p->info.format, "llama2c");
    kprintf("loading %s\n", name);
    size_t size, tok_size = 0, before = heap_used();
    uint64_t t0 = timer_ns();
    if (read_whole(name, path, "reading", &cur.data, &size) != 0 ||
        (llama2c && read_whole(name, tok_path, NULL, &cur.tok, &tok_size) != 0)) {
        unload();
        return -1;
    }
    uint64_t t1 = timer_ns();
    int cancelled = 0;
    struct llm_cancel cancel = { load_cancel_requested, &cancelled };
    cur.model = llm_load_cancellable(cur.data, size, cur.tok, tok_size, &cancel, err, sizeof err);
    if (!cur.model) {
        if (cancelled)
            kprintf("error: loading %s cancelled\n", name);
        else
            kprintf("error: %s: %s\n", name, err);
        unload();
        return -1;
    }
    uint64_t t2 = timer_ns();
    snprintf(cur.name, sizeof cur.name, "%s", name);
    cur.data_size = size;
    cur.model_held = heap_used() - before;
    kprintf("loaded %s: %s %s %s, %.1f MB in %.2f s (read %lu ms, prepare %lu ms)\n", name, p->info.format,
            p->info.arch, p->info.quant, (double)size / 1e6, (double)(t2 - t0) / 1e9,
            (unsigned long)((t1 - t0) / 1000000), (unsigned long)((t2 - t1) / 1000000));
    ai_lora_model_loaded();
    return 0;
}

int ai_model_load(const char *name)
{
    const char *bad = ai_folder_name_problem(name);
    if (bad) {
        kprintf("error: the model name %s (a file in %s)\n", bad, AI_MODELS_DIR);
        return -1;
    }
    char path[AI_MODEL_NAME_MAX + 16], tok_path[sizeof AI_MODELS_DIR + sizeof AI_TOKENIZER_NAME + 1], err[200];
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, name);
    tokenizer_path(tok_path, sizeof tok_path);
    struct llm_probe p;
    if (ai_model_probe(path, &p, err, sizeof err) != 0) {
        kprintf("error: %s: %s\n", name, err);
        return -1;
    }
    struct fs_stat tst = { 0 };
    if (!strcmp(p.info.format, "llama2c") && fs_stat(tok_path, &tst) != 0) {
        kprintf("error: %s: a llama2.c model needs %s beside it\n", name, tok_path);
        return -1;
    }
    if (check_memory(name, &p, tst.size) != 0)
        return -1;
    /* From here the current model goes. If the new one still fails (damaged
     * tensor data, which only a full load reads) or Ctrl+C stops it, the
     * previous one comes back, checked again like any other (and Ctrl+C
     * stops that load too, leaving no model). */
    char previous[AI_MODEL_NAME_MAX] = "";
    if (cur.model)
        snprintf(previous, sizeof previous, "%s", cur.name);
    unload();
    if (load_checked(name, path, &p) == 0)
        return 0;
    if (previous[0] && !ai_model_same_name(previous, name)) {
        kprintf("loading the previous model %s again\n", previous);
        if (ai_model_load(previous) == 0)
            return -1;
    }
    kprintf("error: no model is loaded now (choose one with 'model NAME')\n");
    return -1;
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
    free_session();
    struct llm_model_info info;
    llm_model_get_info(cur.model, &info);
    struct llm_settings set = st->llm;
    set.chat = info.has_chat_template;
    set.system_prompt = st->has_system ? st->system : NULL;
    char err[200];
    size_t before = heap_used();
    cur.session = llm_session_create(cur.model, &set, err, sizeof err);
    if (!cur.session) {
        kprintf("error: %s\n", err);
        return NULL;
    }
    cur.session_held = heap_used() - before;
    cur.session_version = st->version;
    return cur.session;
}
