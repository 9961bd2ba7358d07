/* cmd_models.c: `models` lists the model files in /MODELS from their headers
 * alone (llm_probe: format, architecture, parameters, main quantization,
 * size, training context, then the tensors per block format), the current
 * one marked, each with the adapters in /MODELS that fit it (ai/lora.h);
 * `models verify [NAME]` checks
 * the files against their recorded SHA-256 (ai/hashes.h), since damage
 * inside the tensor data loads without complaint and only shows as
 * garbage answers; `model NAME` switches to another one. */
#include "shell/command.h"
#include "ai/hashes.h"
#include "ai/lora.h"
#include "ai/model.h"
#include "ai/names.h"
#include "ai/settings.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "fs/progress.h"
#include "lib/hash_sha256.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define VERIFY_CHUNK (1u << 20)   /* bytes read per step: the progress bar and Ctrl+C see each */
/* The listing's columns, header and rows alike. NAME fits the longest
 * catalogue file name, qwen2.5-coder-0.5b-instruct.gguf; a longer one only
 * pushes its row's columns right. */
#define LIST_NAME "%c %-32s "
#define LIST_ROW LIST_NAME "%-7s %-6s %6s %-5s %8s %5s\n"

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
        kprintf(LIST_NAME "not loadable: out of memory\n", mark, name);
        return;
    }
    if (ai_model_probe(path, p, err, sizeof err) != 0) {
        kprintf(LIST_NAME "not loadable: %s\n", mark, name, err);
        kfree(p);
        return;
    }
    char params[16], size[16], ctx[16];
    format_count(params, sizeof params, p->info.n_params);
    snprintf(size, sizeof size, "%.1f MB", (double)p->file_size / 1e6);
    snprintf(ctx, sizeof ctx, "%lu", (unsigned long)p->info.ctx_train);
    kprintf(LIST_ROW, mark, name, p->info.format, p->info.arch, params, p->info.quant, size, ctx);
    kprintf("    tensors %s\n", p->quant_mix);
    ai_lora_list(&p->info, mark == '*');
    kfree(p);
}

/* The SHA-256 of the file at `path`, of `size` bytes, read in steps under a
 * progress bar. 0, or an FS_E* code (FS_ECANCELED on Ctrl+C). */
static int file_sha256(const char *path, uint64_t size, uint8_t digest[32])
{
    struct fs_file *f;
    int r = fs_open(path, FS_O_READ, &f);
    if (r != 0)
        return r;
    uint8_t *buf = kmalloc(VERIFY_CHUNK);
    if (!buf) {
        fs_close(f);
        return FS_ENOMEM;
    }
    struct sha256 s;
    struct fs_progress prog;
    sha256_init(&s);
    fs_progress_begin(&prog, "hashing");
    uint64_t done = 0;
    long n;
    while ((n = fs_read(f, buf, VERIFY_CHUNK)) > 0) {
        sha256_update(&s, buf, (size_t)n);
        done += (uint64_t)n;
        if (fs_progress_update(done, done > size ? done : size, &prog)) {
            n = FS_ECANCELED;
            break;
        }
    }
    if (n == 0 && done == 0)
        fs_progress_update(0, 0, &prog);   /* an empty file: the bar ends its line */
    fs_progress_finish(&prog);
    kfree(buf);
    fs_close(f);
    if (n < 0)
        return (int)n;
    sha256_final(&s, digest);
    return 0;
}

static void print_hex(const uint8_t digest[32])
{
    for (int i = 0; i < 32; i++)
        kprintf("%02x", digest[i]);
}

/* One line for file `name` of /MODELS: 1 when it is damaged or cannot be
 * read, 0 when it matches or has no record. A missing file (a name given
 * by the user) and Ctrl+C end the command: their FS_E* code. */
static int verify_one(const struct ai_hashes *h, const char *name)
{
    char path[AI_MODEL_NAME_MAX + sizeof AI_MODELS_DIR + 1];
    struct fs_stat st;
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, name);
    int r = fs_stat(path, &st);
    if (r == 0 && st.is_dir)
        r = FS_EISDIR;
    if (r != 0)
        return r;
    const uint8_t *expected = ai_hashes_find(h, name);
    if (!expected) {
        kprintf("%s: no recorded hash\n", name);
        return 0;
    }
    uint8_t digest[32];
    r = file_sha256(path, st.size, digest);
    if (r == FS_ECANCELED)
        return r;
    if (r != 0) {
        kprintf("%s: unreadable (%s)\n", name, fs_error_message(r));
        return 1;
    }
    if (memcmp(digest, expected, 32) == 0) {
        kprintf("%s: ok\n", name);
        return 0;
    }
    kprintf("%s: DAMAGED (sha256 ", name);
    print_hex(digest);
    kprintf(", expected ");
    print_hex(expected);
    kprintf(")\n");
    return 1;
}

/* `models verify [NAME]`: NAME, or every model file of /MODELS. */
static int models_verify(int argc, char **argv)
{
    if (argc == 3) {
        const char *problem = ai_folder_name_problem(argv[2]);
        if (problem) {
            kprintf("error: models verify: the name %s\n", problem);
            return -1;
        }
    }
    struct ai_hashes *h = kmalloc(sizeof *h);
    struct fs_dirent *e = kmalloc(sizeof *e);
    struct fs_dir *d = NULL;
    int rc = h && e ? 0 : FS_ENOMEM;
    if (rc == 0) {
        ai_hashes_load(h);
        if (argc != 3)
            rc = fs_opendir(AI_MODELS_DIR, &d);
    }
    int files = 0, bad = 0;
    if (rc == 0 && argc == 3) {
        int r = verify_one(h, argv[2]);
        rc = r < 0 ? r : 0;
        bad += r > 0;
        files = 1;
    }
    while (d && (rc = fs_readdir(d, e)) == 1) {
        if (e->is_dir || !ai_model_is_candidate(e->name))
            continue;
        int r = verify_one(h, e->name);
        if (r < 0) {
            rc = r;
            break;
        }
        bad += r;
        files++;
    }
    if (d)
        fs_closedir(d);
    kfree(e);
    kfree(h);
    if (rc < 0) {
        kprintf("error: models verify: %s\n", rc == FS_ECANCELED ? "stopped" : fs_error_message(rc));
        return -1;
    }
    if (files == 0)
        kprintf("(no model files in %s)\n", AI_MODELS_DIR);
    if (bad) {
        kprintf("error: models verify: %d of %d file(s) damaged or unreadable\n", bad, files);
        return -1;
    }
    return 0;
}

static int cmd_models(int argc, char **argv)
{
    if (argc >= 2 && argc <= 3 && strcmp(argv[1], "verify") == 0)
        return models_verify(argc, argv);
    if (argc != 1) {
        kprintf("error: usage: models [verify [NAME]]\n");
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
    kprintf(LIST_ROW, ' ', "NAME", "FORMAT", "ARCH", "PARAMS", "QUANT", "SIZE", "CTX");
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
SHELL_COMMAND(models, "models [verify [NAME]]: list /MODELS (* = current), check sha256s", cmd_models);

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
