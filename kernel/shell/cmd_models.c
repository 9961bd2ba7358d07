/* cmd_models.c: `models` lists the model files in /MODELS from their headers
 * alone (llm_probe: format, architecture, parameters, quantization, size,
 * training context), the current one marked; `model NAME` switches to
 * another one. */
#include "shell/command.h"
#include "ai/model.h"
#include "ai/settings.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"

/* 134.5M, 260.1K, 1.2B: one decimal of the largest unit under the count. */
static void format_count(char *buf, size_t n, uint64_t v)
{
    static const char units[] = { 0, 'K', 'M', 'B' };
    int u = 0;
    double scaled = (double)v;
    while (u < 3 && scaled >= 1000.0) {
        scaled /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%lu", (unsigned long)v);
    else
        snprintf(buf, n, "%.1f%c", scaled, units[u]);
}

static void list_one(const char *name, const char *path)
{
    struct llm_probe *p = kmalloc(sizeof *p);
    char err[160];
    const char *cur = ai_model_name();
    char mark = cur && ai_model_same_name(cur, name) ? '*' : ' ';
    if (!p) {
        kprintf("%c %-31s not loadable: out of memory\n", mark, name);
        return;
    }
    if (ai_model_probe(path, p, err, sizeof err) != 0) {
        kprintf("%c %-31s not loadable: %s\n", mark, name, err);
        kfree(p);
        return;
    }
    char params[16], size[16];
    format_count(params, sizeof params, p->info.n_params);
    snprintf(size, sizeof size, "%.1f MB", (double)p->file_size / 1e6);
    kprintf("%c %-31s %-7s %-5s %6s %-5s %8s %5lu\n", mark, name, p->info.format, p->info.arch, params,
            p->info.quant, size, (unsigned long)p->info.ctx_train);
    kfree(p);
}

static int cmd_models(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        kprintf("error: usage: models\n");
        return -1;
    }
    struct fs_dir *d;
    int rc = fs_opendir(AI_MODELS_DIR, &d);
    if (rc < 0) {
        kprintf("error: %s: %s\n", AI_MODELS_DIR, fs_error_message(rc));
        return -1;
    }
    struct fs_dirent *e = kmalloc(sizeof *e);
    if (!e) {
        fs_closedir(d);
        kprintf("error: out of memory\n");
        return -1;
    }
    kprintf("  %-31s %-7s %-5s %6s %-5s %8s %5s\n", "NAME", "FORMAT", "ARCH", "PARAMS", "QUANT", "SIZE", "CTX");
    int count = 0;
    char path[sizeof e->name + sizeof AI_MODELS_DIR + 1];
    while ((rc = fs_readdir(d, e)) == 1) {
        if (e->is_dir || !ai_model_is_candidate(e->name))
            continue;
        snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, e->name);
        list_one(e->name, path);
        count++;
    }
    kfree(e);
    fs_closedir(d);
    if (rc < 0) {
        kprintf("error: %s: %s\n", AI_MODELS_DIR, fs_error_message(rc));
        return -1;
    }
    if (count == 0)
        kprintf("(no model files in %s)\n", AI_MODELS_DIR);
    return 0;
}
SHELL_COMMAND(models, "models: the model files in /MODELS (* = current)", cmd_models);

static int cmd_model(int argc, char **argv)
{
    if (argc != 2) {
        const char *cur = ai_model_name();
        kprintf(cur ? "current model: %s\n" : "%s\n", cur ? cur : "no model loaded (it loads on first use)");
        if (argc != 1) {
            kprintf("error: usage: model NAME (a file in %s, see 'models')\n", AI_MODELS_DIR);
            return -1;
        }
        return 0;
    }
    if (!ai_model_is_candidate(argv[1])) {
        kprintf("error: %s is not a model file name (.gguf or .bin)\n", argv[1]);
        return -1;
    }
    if (ai_model_load(argv[1]) != 0)
        return -1;
    ai_settings_set_model(argv[1]);
    return 0;
}
SHELL_COMMAND(model, "model [NAME]: show or switch the current model", cmd_model);
