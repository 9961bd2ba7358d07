/* lora.c: the adapter of the current model (lora.h): read whole from
 * /MODELS, checked and converted by the engine (lora_gguf_read: type,
 * architecture, every tensor's shape), kept here while the model uses it
 * (llm_model_set_lora), and the saved choice applied again at each load of
 * a model. */
#include "ai/lora.h"
#include "ai/model.h"
#include "ai/names.h"
#include "ai/settings.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "train/train.h"

#define ADAPTER_ALIGN 32

static struct {
    struct lora_adapter ad;
    char name[AI_MODEL_NAME_MAX];
    int on;
} applied;

const char *ai_lora_name(void)
{
    return applied.on ? applied.name : NULL;
}

/* 1 when the file name ends with AI_LORA_SUFFIX (any case, as FAT). */
static int is_adapter_file(const char *file)
{
    size_t n = strlen(file), s = strlen(AI_LORA_SUFFIX);
    return n > s && ai_model_same_name(file + n - s, AI_LORA_SUFFIX);
}

/* "q,v": the targets as the lora_targets setting writes them. */
static void format_targets(uint32_t targets, char *buf, size_t n)
{
    struct llm_train_settings ts;
    ts.lora_targets = (int32_t)targets;
    llm_setting_format(llm_setting_find(llm_train_settings, "lora_targets"), &ts, buf, n);
}

/* /MODELS/<file> read whole: the bytes (kfree them), or NULL with err set. */
static void *read_adapter(const char *file, size_t *size, char *err, size_t errlen)
{
    char path[AI_MODEL_NAME_MAX + sizeof AI_MODELS_DIR + 1];
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, file);
    void *data;
    int rc = fs_read_whole(path, ADAPTER_ALIGN, &data, size, NULL, NULL);
    if (rc < 0) {
        snprintf(err, errlen, "lora: %s: %s", path, fs_error_message(rc));
        return NULL;
    }
    return data;
}

/* NAME's adapter for the current model into ad: 0, or -1 with err set. */
static int load(const char *name, struct lora_adapter *ad, char *err, size_t errlen)
{
    char file[AI_MODEL_NAME_MAX + sizeof AI_LORA_SUFFIX];
    snprintf(file, sizeof file, "%s%s", name, AI_LORA_SUFFIX);
    size_t size;
    void *data = read_adapter(file, &size, err, errlen);
    if (!data)
        return -1;
    int rc = lora_gguf_read(ai_model_current(), data, size, ad, err, errlen);
    kfree(data);
    if (rc != 0) {
        size_t at = strlen(err);
        snprintf(err + at, errlen - at, " (%s/%s)", AI_MODELS_DIR, file);
    }
    return rc;
}

static void remove_applied(void)
{
    if (!applied.on)
        return;
    if (ai_model_current())
        llm_model_set_lora(ai_model_current(), NULL);
    lora_free(&applied.ad);
    applied.on = 0;
}

/* Makes ad (loaded for the current model) the applied adapter NAME. */
static void use(const char *name, const struct lora_adapter *ad)
{
    remove_applied();
    applied.ad = *ad;
    snprintf(applied.name, sizeof applied.name, "%s", name);
    applied.on = 1;
    llm_model_set_lora(ai_model_current(), &applied.ad);
}

/* "rank 4, q,v, alpha 16" of the applied adapter. */
static void describe(char *buf, size_t n)
{
    char targets[LLM_SETTING_TEXT_MAX];
    format_targets(applied.ad.targets, targets, sizeof targets);
    snprintf(buf, n, "rank %lu, %s, alpha %g", (unsigned long)applied.ad.rank, targets, (double)applied.ad.alpha);
}

int ai_lora_apply(const char *name)
{
    char plain[AI_MODEL_NAME_MAX], err[200], what[96];
    snprintf(plain, sizeof plain, "%s", name);
    if (is_adapter_file(plain))
        plain[strlen(plain) - strlen(AI_LORA_SUFFIX)] = 0;
    const char *bad = ai_folder_name_problem(plain);
    if (!bad && strlen(plain) + strlen(AI_LORA_SUFFIX) >= AI_MODEL_NAME_MAX)
        bad = "is too long";
    if (bad) {
        kprintf("error: lora: the adapter name %s\n", bad);
        return -1;
    }
    if (!ai_model_current()) {
        kprintf("error: lora: no model is loaded (load one with 'model NAME')\n");
        return -1;
    }
    struct lora_adapter ad;
    if (load(plain, &ad, err, sizeof err) != 0) {
        kprintf("error: %s\n", err);
        return -1;
    }
    use(plain, &ad);
    describe(what, sizeof what);
    kprintf("applied %s to %s: %s ('lora off' removes it)\n", plain, ai_model_name(), what);
    return ai_settings_set_lora(plain);
}

int ai_lora_off(void)
{
    if (applied.on)
        kprintf("removed %s from %s\n", applied.name, ai_model_name());
    else
        kprintf("(no adapter was applied)\n");
    remove_applied();
    return ai_settings_set_lora("");
}

void ai_lora_show(void)
{
    if (!applied.on) {
        const char *saved = ai_settings()->lora;
        if (saved[0])
            kprintf("adapter %s: chosen, applied when its model loads\n", saved);
        else
            kprintf("no adapter ('lora NAME' applies %s/NAME%s)\n", AI_MODELS_DIR, AI_LORA_SUFFIX);
        return;
    }
    char what[96];
    describe(what, sizeof what);
    kprintf("adapter %s on %s: %s\n", applied.name, ai_model_name(), what);
}

void ai_lora_model_loaded(void)
{
    const char *saved = ai_settings()->lora;
    char err[200], what[96];
    struct lora_adapter ad;
    if (!saved[0])
        return;
    if (load(saved, &ad, err, sizeof err) != 0) {
        kprintf("note: the chosen adapter %s is not applied: %s\n", saved, err);
        return;
    }
    use(saved, &ad);
    describe(what, sizeof what);
    kprintf("loaded adapter %s: %s\n", saved, what);
}

void ai_lora_model_unloading(void)
{
    remove_applied();
}

void ai_lora_list(const struct llm_model_info *info, int current)
{
    struct fs_dir *d;
    if (fs_opendir(AI_MODELS_DIR, &d) != 0)
        return;
    struct fs_dirent *e = kmalloc(sizeof *e);
    while (e && fs_readdir(d, e) == 1) {
        if (e->is_dir || !is_adapter_file(e->name))
            continue;
        char err[200], targets[LLM_SETTING_TEXT_MAX], what[80];
        size_t size;
        uint32_t rank, bits;
        void *data = read_adapter(e->name, &size, err, sizeof err);
        int fits = data && lora_gguf_fits(info, data, size, &rank, &bits, err, sizeof err) == 0;
        kfree(data);
        if (!fits)
            continue;
        char stem[sizeof e->name];
        snprintf(stem, sizeof stem, "%s", e->name);
        stem[strlen(stem) - strlen(AI_LORA_SUFFIX)] = 0;
        int on = current && applied.on && ai_model_same_name(applied.name, stem);
        format_targets(bits, targets, sizeof targets);
        snprintf(what, sizeof what, "rank %lu %s", (unsigned long)rank, targets);
        /* Small adapters in kB: a stories260K one is 20 kB. */
        int kb = e->size < 1000000;
        kprintf("%c   + %-28s %-7s %-27s %.1f %s\n", on ? '*' : ' ', e->name, "lora", what,
                (double)e->size / (kb ? 1e3 : 1e6), kb ? "kB" : "MB");
    }
    kfree(e);
    fs_closedir(d);
}
