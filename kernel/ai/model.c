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
#include "params.h"

#define MODEL_ALIGN 64
#define MIB (1024.0 * 1024.0)
/* The first read of a header, the engine's own (so that the probe knows
 * what the loader will hold); llm_probe asks for more when it is longer
 * (SmolLM2's vocabulary makes its header about 2 MB). */
#define PROBE_FIRST_READ LLM_HEADER_FIRST_READ
/* The most read at once: whole clusters, and the bar moves every MB. */
#define READ_STEP (1u << 20)

static struct {
    char name[AI_MODEL_NAME_MAX];
    llm_model *model;
    llm_session *session;
    uint32_t session_version;
    size_t model_held, session_held; /* heap bytes the model and the session took */
    int file_weights;                /* every matrix kept as in the file too (for training) */
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

/* Refuses a load that cannot fit, before the current model is freed or
 * hundreds of MB are read for nothing: what the engine says the load and a
 * session of the chosen context need, against the free memory and what the
 * current model would give back. */
/* The tensors kept as they are in the file are one block: its size. */
static uint64_t kept_block(const struct llm_probe *p, int file_weights)
{
    return p->kept_bytes + (file_weights ? p->repacked_file_bytes : 0) + MODEL_ALIGN;
}

/* Whether the heap has room for that block now; one line when not. */
static int check_one_piece(const char *name, const struct llm_probe *p, int file_weights)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    uint64_t block = kept_block(p, file_weights);
    if (block <= hs.largest_free)
        return 0;
    kprintf("error: not enough memory for %s: its tensors kept as they are in the file need %.1f MiB in one "
            "piece, the largest free block is %.1f MiB\n", name, (double)(block - MODEL_ALIGN) / MIB,
            (double)hs.largest_free / MIB);
    return -1;
}

/* Whether the model of header p fits, counting the current model's memory
 * as free. The one-piece check of its kept tensors waits for the unload
 * when there is a current model: what freeing it joins up cannot be known
 * before. */
static int check_memory(const char *name, const struct llm_probe *p, uint32_t tok_size, int file_weights)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    const struct llm_settings *st = &ai_settings()->llm;
    uint32_t ctx = (uint32_t)st->ctx, max_tokens = st->max_tokens < 0 ? ctx : (uint32_t)st->max_tokens;
    struct llm_memory need;
    llm_memory_needed(p, ctx, max_tokens, tok_size, &need);
    if (file_weights) {
        need.file += need.file_weights;
        need.total += need.file_weights;
    }
    double free_now = (double)hs.free + (double)(cur.model_held + cur.session_held);
    if ((double)need.total > free_now) {
        kprintf("error: not enough memory for %s with a context of %lu: it needs %.1f MiB (tensors as in the "
                "file %.1f, KV cache %.1f, tables and prepared weights %.1f, buffers %.1f), %.1f MiB are free%s "
                "(try a smaller 'set ctx')\n", name, (unsigned long)ctx, (double)need.total / MIB,
                (double)need.file / MIB, (double)need.kv_cache / MIB, (double)(need.tables + need.packed) / MIB,
                (double)need.work / MIB, free_now / MIB, cur.model ? " with the current model unloaded" : "");
        return -1;
    }
    return cur.model ? 0 : check_one_piece(name, p, file_weights);
}

/* A file of the disk as the engine reads it (struct llm_file), with the
 * progress bar of everything the load reads and the time spent reading. */
struct disk_file {
    struct fs_file *f;
    struct llm_file file;
    struct load_progress *progress;
    uint64_t reached; /* the end of the furthest read: what the bar counts */
};

struct load_progress {
    struct fs_progress bar;
    uint64_t done, total;
    uint64_t read_ns;
    int cancelled; /* Ctrl+C seen while reading */
};

static int disk_read(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errlen)
{
    struct disk_file *d = ctx;
    struct load_progress *lp = d->progress;
    uint64_t t0 = timer_ns();
    int rc = offset > 0xffffffffu ? FS_EINVAL : fs_seek(d->f, (uint32_t)offset);
    for (uint8_t *p = buf; rc == 0 && len;) {
        /* In parts, so that the bar moves and Ctrl+C is heard. */
        size_t want = len < READ_STEP ? len : READ_STEP;
        long got = fs_read(d->f, p, want);
        if (got <= 0) {
            rc = got < 0 ? (int)got : FS_EIO;
            break;
        }
        p += got;
        len -= (size_t)got;
        offset += (uint64_t)got;
        if (offset <= d->reached)
            continue; /* read again (the header's end, a prepared file refused) */
        lp->done += offset - d->reached;
        d->reached = offset;
        if (fs_progress_update(lp->done, lp->total, &lp->bar)) {
            lp->cancelled = 1;
            rc = FS_ECANCELED;
        }
    }
    lp->read_ns += timer_ns() - t0;
    if (rc == FS_ECANCELED)
        snprintf(err, errlen, LLM_CANCELLED);
    else if (rc != 0)
        snprintf(err, errlen, "reading the disk: %s", rc == FS_EIO && len ? "the file ended early" :
                                                          fs_error_message(rc));
    return rc == 0 ? 0 : -1;
}

/* 0 with d open on path, or a negative FS_E* code. */
static int disk_open(struct disk_file *d, const char *path, struct load_progress *lp)
{
    memset(d, 0, sizeof *d);
    int rc = fs_open(path, FS_O_READ, &d->f);
    if (rc < 0)
        return rc;
    d->progress = lp;
    d->file.size = fs_size(d->f);
    d->file.read = disk_read;
    d->file.ctx = d;
    return 0;
}

static void disk_close(struct disk_file *d)
{
    if (d->f)
        fs_close(d->f);
    d->f = NULL;
}

/* The engine's cancel poll during a load: Ctrl+C on the console, remembered
 * so that the caller can tell a stop from a failure. */
static int load_cancel_requested(void *ctx)
{
    struct load_progress *lp = ctx;
    if (!lp->cancelled && console_poll_cancel())
        lp->cancelled = 1;
    return lp->cancelled;
}

void ai_prepared_path(const char *name, char *out, size_t n)
{
    size_t stem = strlen(name);
    if (ends_with(name, ".gguf"))
        stem -= 5;
    snprintf(out, n, "%s/%.*s%s", AI_MODELS_DIR, (int)stem, name, AI_PREPARED_EXT);
}

/* Reads and loads a checked model into cur (nothing loaded before): 0, or
 * -1 with an error line printed and nothing loaded. The weights come from
 * the prepared file beside the model when it was made from this file. */
static int load_checked(const char *name, const char *path, const struct llm_probe *p, int file_weights)
{
    char tok_path[sizeof AI_MODELS_DIR + sizeof AI_TOKENIZER_NAME + 1], err[200];
    char prepared_path[AI_MODEL_NAME_MAX + sizeof AI_MODELS_DIR + sizeof AI_PREPARED_EXT];
    tokenizer_path(tok_path, sizeof tok_path);
    ai_prepared_path(name, prepared_path, sizeof prepared_path);
    int llama2c = !strcmp(p->info.format, "llama2c");
    kprintf("loading %s\n", name);
    struct load_progress lp;
    memset(&lp, 0, sizeof lp);
    struct disk_file model, tok, prepared;
    memset(&tok, 0, sizeof tok);
    memset(&prepared, 0, sizeof prepared);
    int rc = disk_open(&model, path, &lp);
    if (rc == 0 && llama2c)
        rc = disk_open(&tok, tok_path, &lp);
    if (rc < 0) {
        kprintf("error: %s: %s\n", llama2c && model.f ? tok_path : path, fs_error_message(rc));
        disk_close(&model);
        return -1;
    }
    int have_prepared = !llama2c && disk_open(&prepared, prepared_path, &lp) == 0;
    lp.total = model.file.size + tok.file.size + prepared.file.size;
    fs_progress_begin(&lp.bar, "reading");
    struct llm_cancel cancel = { load_cancel_requested, &lp };
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.tokenizer = llama2c ? &tok.file : NULL;
    opt.prepared = have_prepared ? &prepared.file : NULL;
    opt.cancel = &cancel;
    opt.keep_file_weights = file_weights;
    opt.header_bytes = p->header_bytes;
    size_t before = heap_used();
    uint64_t t0 = timer_ns();
    cur.model = llm_load_file(&model.file, &opt, err, sizeof err);
    uint64_t t1 = timer_ns();
    fs_progress_finish(&lp.bar);
    disk_close(&model);
    disk_close(&tok);
    disk_close(&prepared);
    if (!cur.model) {
        if (lp.cancelled)
            kprintf("error: loading %s cancelled\n", name);
        else
            kprintf("error: %s: %s\n", name, err);
        unload();
        return -1;
    }
    if (have_prepared && !opt.prepared_used)
        kprintf("note: %s: %s; the weights were prepared from %s\n", prepared_path, opt.prepared_note, name);
    snprintf(cur.name, sizeof cur.name, "%s", name);
    /* the room check_memory asks for */
    cur.file_weights = file_weights;
    cur.model_held = heap_used() - before;
    uint64_t read_ns = lp.read_ns < t1 - t0 ? lp.read_ns : t1 - t0;
    kprintf("loaded %s: %s %s %s, %.1f MB in %.2f s (read %lu ms, prepare %lu ms%s)\n", name, p->info.format,
            p->info.arch, p->info.quant, (double)p->file_size / 1e6, (double)(t1 - t0) / 1e9,
            (unsigned long)(read_ns / 1000000), (unsigned long)((t1 - t0 - read_ns) / 1000000),
            opt.prepared_used ? ", prepared weights read" : "");
    ai_lora_model_loaded();
    return 0;
}

/* ai_model_load, keeping every matrix as in the file too when
 * file_weights is set. */
static int load_model(const char *name, int file_weights)
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
    if (check_memory(name, &p, tst.size, file_weights) != 0)
        return -1;
    /* From here the current model goes. If the new one still fails (its kept
     * tensors find no block big enough even then, damaged tensor data, which
     * only a full load reads) or Ctrl+C stops it, the
     * previous one comes back, checked again like any other (and Ctrl+C
     * stops that load too, leaving no model). */
    char previous[AI_MODEL_NAME_MAX] = "";
    if (cur.model)
        snprintf(previous, sizeof previous, "%s", cur.name);
    unload();
    if (check_one_piece(name, &p, file_weights) == 0 && load_checked(name, path, &p, file_weights) == 0)
        return 0;
    if (previous[0] && !ai_model_same_name(previous, name)) {
        kprintf("loading the previous model %s again\n", previous);
        if (ai_model_load(previous) == 0)
            return -1;
    }
    kprintf("error: no model is loaded now (choose one with 'model NAME')\n");
    return -1;
}

int ai_model_load(const char *name)
{
    return load_model(name, 0);
}

llm_model *ai_model_for_training(void)
{
    if (!cur.model || cur.file_weights)
        return cur.model;
    char name[AI_MODEL_NAME_MAX];
    snprintf(name, sizeof name, "%s", cur.name);
    kprintf("loading %s again with its weights as in the file too, which training reads\n", name);
    return load_model(name, 1) == 0 ? cur.model : NULL;
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
