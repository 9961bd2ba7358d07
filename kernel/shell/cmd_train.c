/* cmd_train.c: `train FILE [NAME]`, LoRA fine-tuning of the loaded model on
 * the text of FILE with the training settings (`set lora_rank ...`), through
 * the engine's trainer (llm/train/train.h), the one myos-llm --train runs:
 * the same text, settings and model give the same losses and the same
 * adapter bytes. One line per step (step, a bar of the steps done, loss,
 * tokens/s, seconds); Ctrl+C stops after the current step and the adapter
 * keeps what the steps so far learned. The adapter is written to
 * /MODELS/NAME.lora.gguf in llama.cpp's format, the whole file at once
 * (fs_write_whole: a power cut leaves the old file or the new one).
 * `lora NAME|off` applies such an adapter to the loaded model or removes it
 * (ai/lora.h). */
#include "shell/command.h"
#include "ai/lora.h"
#include "ai/model.h"
#include "ai/names.h"
#include "ai/settings.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform.h"
#include "train/train.h"

#define MIB (1024.0 * 1024.0)
#define STEP_BAR 16

/* NAME from FILE: its last path component without the extension, into out;
 * -1 after an error line when nothing is left. */
static int default_name(const char *file, char *out, size_t n)
{
    const char *base = file;
    for (const char *p = file; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        len = (size_t)(dot - base);
    if (len == 0 || len >= n) {
        kprintf("error: train: no adapter name in '%s' (usage: train FILE NAME)\n", file);
        return -1;
    }
    memcpy(out, base, len);
    out[len] = 0;
    return 0;
}

/* The adapter's path for NAME; -1 after an error line for a bad name. */
static int adapter_path(const char *name, char *out, size_t n)
{
    const char *bad = ai_folder_name_problem(name);
    if (!bad && strlen(name) + strlen(AI_LORA_SUFFIX) >= AI_MODEL_NAME_MAX)
        bad = "is too long";
    if (bad) {
        kprintf("error: train: the adapter name %s\n", bad);
        return -1;
    }
    snprintf(out, n, "%s/%s%s", AI_MODELS_DIR, name, AI_LORA_SUFFIX);
    return 0;
}

/* FILE's tokens for m: 0, or -1 after an error line. */
static int read_tokens(const llm_model *m, const char *file, uint32_t ctx, int32_t **ids, uint32_t *n)
{
    void *data;
    size_t size;
    int rc = fs_read_whole(file, 16, &data, &size, NULL, NULL);
    if (rc < 0) {
        kprintf("error: train: %s: %s\n", file, fs_error_message(rc));
        return -1;
    }
    char err[200];
    rc = train_tokenize(m, data, size, ctx, ids, n, err, sizeof err);
    kfree(data);
    if (rc != 0)
        kprintf("error: %s (%s)\n", err, file);
    return rc;
}

/* Refuses a training whose buffers cannot fit, before the first step: the
 * engine's own count of the activations, gradients and AdamW state, and
 * the adapter file that is built in memory at the end. */
static int check_memory(const llm_model *m, const struct lora_adapter *ad, uint32_t ctx)
{
    struct heap_stats hs;
    heap_get_stats(&hs);
    uint64_t need = train_bytes(m, ad, ctx) + lora_gguf_bytes(m, ad);
    if (need <= hs.free)
        return 0;
    kprintf("error: train: not enough memory for the training state: %lu tokens per step at rank %lu need "
            "%.1f MiB, %.1f MiB are free (lower train_ctx or lora_rank)\n", (unsigned long)ctx,
            (unsigned long)ad->rank, (double)need / MIB, (double)hs.free / MIB);
    return -1;
}

/* One step's line: "step 3/20 [##..] loss 2.345678 41.2 tok/s 1.553 s". */
static void print_step(int32_t step, int32_t steps, float loss, uint32_t ctx, uint64_t ns)
{
    char bar[STEP_BAR + 1];
    for (int i = 0; i < STEP_BAR; i++)
        bar[i] = (int64_t)i * steps < (int64_t)step * STEP_BAR ? '#' : '.';
    bar[STEP_BAR] = 0;
    double sec = (double)ns / 1e9;
    kprintf("step %ld/%ld [%s] loss %.6f %.1f tok/s %.3f s\n", (long)step, (long)steps, bar, (double)loss,
            sec > 0 ? ctx / sec : 0.0, sec);
}

/* Writes the adapter file; 0, or -1 after an error line. */
static int save_adapter(const llm_model *m, const struct lora_adapter *ad, const char *path)
{
    uint64_t bytes = lora_gguf_bytes(m, ad);
    uint8_t *buf = bytes < 0x7fffffffu ? kmalloc((size_t)bytes) : NULL;
    if (!buf) {
        kprintf("error: train: out of memory for the adapter file (%.1f MiB)\n", (double)bytes / MIB);
        return -1;
    }
    lora_gguf_write(m, ad, buf);
    int rc = fs_write_whole(path, buf, (size_t)bytes);
    kfree(buf);
    if (rc < 0) {
        kprintf("error: train: %s: %s\n", path, fs_error_message(rc));
        return -1;
    }
    return 0;
}

/* The steps; returns the number done (fewer after Ctrl+C). */
static int32_t run_steps(struct trainer *tr, const struct llm_train_settings *ts, const int32_t *ids,
                         uint32_t n_ids)
{
    uint32_t ctx = (uint32_t)ts->train_ctx;
    for (int32_t step = 0; step < ts->train_steps; step++) {
        uint64_t t0 = timer_ns();
        float loss = train_loss_and_grads(tr, train_chunk(ids, n_ids, ctx, (uint32_t)step));
        train_update(tr, ts->train_lr);
        print_step(step + 1, ts->train_steps, loss, ctx, timer_ns() - t0);
        /* Polled after the last step too: a Ctrl+C typed during it is used up here. */
        if (console_poll_cancel() && step + 1 < ts->train_steps) {
            kprintf("^C: stopped after step %ld of %ld\n", (long)step + 1, (long)ts->train_steps);
            return step + 1;
        }
    }
    return ts->train_steps;
}

static int cmd_train(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        kprintf("error: usage: train FILE [NAME] (writes %s/NAME%s)\n", AI_MODELS_DIR, AI_LORA_SUFFIX);
        return -1;
    }
    char name[AI_MODEL_NAME_MAX], path[AI_MODEL_NAME_MAX + sizeof AI_MODELS_DIR + sizeof AI_LORA_SUFFIX];
    if (argc == 3)
        snprintf(name, sizeof name, "%s", argv[2]);
    else if (default_name(argv[1], name, sizeof name) != 0)
        return -1;
    if (adapter_path(name, path, sizeof path) != 0)
        return -1;
    if (!ai_model_current()) {
        kprintf("error: train: no model is loaded (load one with 'model NAME')\n");
        return -1;
    }
    llm_model *m = ai_model_for_training();
    if (!m)
        return -1;
    const struct llm_train_settings *ts = &ai_settings()->train;
    uint32_t ctx = (uint32_t)ts->train_ctx, n_ids;
    int32_t *ids;
    if (read_tokens(m, argv[1], ctx, &ids, &n_ids) != 0)
        return -1;
    char err[200];
    struct lora_adapter ad;
    struct trainer *tr = NULL;
    int rc = -1;
    if (train_new_adapter(m, ts, &ad, err, sizeof err) != 0) {
        kprintf("error: %s\n", err);
        llm_free(ids);
        return -1;
    }
    if (check_memory(m, &ad, ctx) == 0 && !(tr = train_create(m, &ad, ctx, 0, err, sizeof err)))
        kprintf("error: %s\n", err);
    if (tr) {
        kprintf("train %s on %s: %lu tokens, %lu per step, rank %lu, %.1f MiB of training state\n",
                ai_model_name(), argv[1], (unsigned long)n_ids, (unsigned long)ctx, (unsigned long)ad.rank,
                (double)train_bytes(m, &ad, ctx) / MIB);
        int32_t done = run_steps(tr, ts, ids, n_ids);
        train_free(tr);
        rc = save_adapter(m, &ad, path);
        if (rc == 0)
            kprintf("saved %s after %ld step%s ('lora %s' applies it)\n", path, (long)done, done == 1 ? "" : "s",
                    name);
    }
    lora_free(&ad);
    llm_free(ids);
    return rc;
}
SHELL_COMMAND(train, "train FILE [NAME]: fine-tune the model on FILE (LoRA adapter NAME)", cmd_train);

static int cmd_lora(int argc, char **argv)
{
    if (argc == 1) {
        ai_lora_show();
        return 0;
    }
    if (argc != 2) {
        kprintf("error: usage: lora [NAME|off] (applies %s/NAME%s)\n", AI_MODELS_DIR, AI_LORA_SUFFIX);
        return -1;
    }
    return strcmp(argv[1], "off") ? ai_lora_apply(argv[1]) : ai_lora_off();
}
SHELL_COMMAND(lora, "lora [NAME|off]: show, apply or remove the model's LoRA adapter", cmd_lora);
