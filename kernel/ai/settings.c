/* settings.c: the `ai` family's settings and their files in /MYOS/. The
 * engine's tables (llm/settings.h, train/train.h) own the sampling, limit,
 * context and training rows: their ranges, defaults and parser, the same as
 * myos-llm's options, so a `set temperature 0.8` here and `--temp 0.8`
 * there sample identically, and `set train_lr 0.002` trains as `--lr 0.002`.
 * This file adds the shell's own display rows, the system prompt, the
 * chosen model and the chosen adapter. */
#include <stddef.h>
#include "ai/settings.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SETTINGS_DIR "/MYOS"
#define SETTINGS_FILE "/MYOS/SETTINGS.TXT"
#define SYSTEM_FILE "/MYOS/SYSTEM.TXT"
#define SETTINGS_FILE_MAX 16384

/* Display settings of the shell alone; the engine's rows (sampling, limits,
 * context) are llm_session_settings, parsed and checked by the engine. */
static const struct llm_setting shell_settings[] = {
    { "show_ids", LLM_SETTING_INT, 0, 0, 1, offsetof(struct ai_settings, show_ids),
      "1: print the prompt and generated token ids after each answer" },
    { "color", LLM_SETTING_INT, 0, 0, 1, offsetof(struct ai_settings, color),
      "1: the answer's marker and colours on the serial line too, as ANSI sequences" },
    { NULL, 0, 0, 0, 0, 0, NULL },
};

static struct ai_settings current;
static int loaded;

/* Every row `set` knows, in the order it shows them, with the structure
 * that holds its value. */
static const struct {
    const struct llm_setting *rows;
    void *values;
} tables[] = {
    { llm_session_settings, &current.llm },
    { llm_train_settings, &current.train },
    { shell_settings, &current },
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* The row called name (and where its value is), or NULL. */
static const struct llm_setting *find(const char *name, void **values)
{
    for (size_t t = 0; t < N_TABLES; t++) {
        const struct llm_setting *st = llm_setting_find(tables[t].rows, name);
        if (st) {
            *values = tables[t].values;
            return st;
        }
    }
    return NULL;
}

/* Sets one value; -1 with a message (without "error: ") in msg. */
static int apply(const char *name, const char *value, char *msg, size_t msglen)
{
    void *values;
    const struct llm_setting *st = find(name, &values);
    if (!st) {
        snprintf(msg, msglen, "unknown setting '%s' (type 'set' for the list)", name);
        return -1;
    }
    if (llm_setting_parse(st, value, NULL, values, msg, msglen) != 0)
        return -1;
    current.version++;
    return 0;
}

/* ---- files -------------------------------------------------------------- */

static int write_file(const char *path, const char *text, size_t len)
{
    struct fs_stat st;
    if (fs_stat(SETTINGS_DIR, &st) == FS_ENOENT)
        fs_mkdir(SETTINGS_DIR);
    return fs_write_whole(path, text, len);
}

static int save(void)
{
    char *text = kmalloc(SETTINGS_FILE_MAX);
    if (!text)
        return FS_ENOMEM;
    size_t at = 0;
    for (size_t t = 0; t < N_TABLES; t++) {
        for (const struct llm_setting *st = tables[t].rows; st->name; st++) {
            char v[LLM_SETTING_TEXT_MAX];
            llm_setting_format(st, tables[t].values, v, sizeof v);
            at += (size_t)snprintf(text + at, SETTINGS_FILE_MAX - at, "%s %s\n", st->name, v);
        }
    }
    if (current.model[0])
        at += (size_t)snprintf(text + at, SETTINGS_FILE_MAX - at, "model %s\n", current.model);
    if (current.lora[0])
        at += (size_t)snprintf(text + at, SETTINGS_FILE_MAX - at, "lora %s\n", current.lora);
    int rc = write_file(SETTINGS_FILE, text, at);
    kfree(text);
    return rc;
}

static int report_save(int rc)
{
    if (rc < 0) {
        kprintf("error: changed, but not saved to the disk: %s\n", fs_error_message(rc));
        return -1;
    }
    return 0;
}

/* Reads a small text file into a new NUL-terminated buffer; NULL if it is
 * absent, or if it is there but unreadable or empty, which is said in one
 * line: a saved file that comes back empty (a damaged disk) must not pass
 * silently for "nothing saved". */
static char *read_text(const char *path)
{
    void *data;
    size_t size;
    int rc = fs_read_whole(path, 16, &data, &size, NULL, NULL);
    if (rc == FS_ENOENT)
        return NULL;
    if (rc < 0) {
        kprintf("warning: %s is unreadable (%s): using the defaults\n", path, fs_error_message(rc));
        return NULL;
    }
    if (size == 0) {
        kfree(data);
        kprintf("warning: %s is empty: using the defaults\n", path);
        return NULL;
    }
    char *text = kmalloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = 0;
    }
    kfree(data);
    return text;
}

static void load_settings_file(void)
{
    char *text = read_text(SETTINGS_FILE);
    if (!text)
        return;
    int line_no = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : line + strlen(line);
        if (end)
            *end = 0;
        line_no++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = 0;
        char *value = strchr(line, ' ');
        if (value) {
            *value++ = 0;
            char msg[160];
            if (!strcmp(line, "model"))
                snprintf(current.model, sizeof current.model, "%s", value);
            else if (!strcmp(line, "lora"))
                snprintf(current.lora, sizeof current.lora, "%s", value);
            else if (apply(line, value, msg, sizeof msg) != 0)
                kprintf("warning: %s line %d ignored: %s\n", SETTINGS_FILE, line_no, msg);
        } else if (len) {
            kprintf("warning: %s line %d ignored: no value\n", SETTINGS_FILE, line_no);
        }
        line = next;
    }
    kfree(text);
}

static void load_system_file(void)
{
    char *text = read_text(SYSTEM_FILE);
    if (!text)
        return;
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = 0;
    snprintf(current.system, sizeof current.system, "%s", text);
    current.has_system = 1;
    kfree(text);
}

struct ai_settings *ai_settings(void)
{
    if (!loaded) {
        llm_settings_default(&current.llm);
        llm_train_settings_default(&current.train);
        llm_setting_defaults(shell_settings, &current);
        loaded = 1;
        if (fs_mounted()) {
            load_settings_file();
            load_system_file();
        }
    }
    return &current;
}

/* ---- commands ------------------------------------------------------------ */

void ai_settings_show(void)
{
    ai_settings();
    for (size_t t = 0; t < N_TABLES; t++) {
        for (const struct llm_setting *st = tables[t].rows; st->name; st++) {
            char v[LLM_SETTING_TEXT_MAX];
            llm_setting_format(st, tables[t].values, v, sizeof v);
            kprintf("%-15s %s\n", st->name, v);
        }
    }
    kprintf("%-15s %s\n", "system", current.has_system ? "(set: type 'system' to see it)" : "(model default)");
    kprintf("%-15s %s\n", "model", current.model[0] ? current.model : "(first in /MODELS)");
    kprintf("%-15s %s\n", "lora", current.lora[0] ? current.lora : "off");
}

int ai_settings_set(const char *name, const char *value)
{
    ai_settings();
    char msg[160];
    if (apply(name, value, msg, sizeof msg) != 0) {
        kprintf("error: %s\n", msg);
        return -1;
    }
    return report_save(save());
}

int ai_settings_set_system(const char *text)
{
    ai_settings();
    current.version++;
    if (!text) {
        current.has_system = 0;
        current.system[0] = 0;
        int rc = fs_unlink(SYSTEM_FILE);
        return report_save(rc == FS_ENOENT ? 0 : rc);
    }
    snprintf(current.system, sizeof current.system, "%s", text);
    current.has_system = 1;
    return report_save(write_file(SYSTEM_FILE, current.system, strlen(current.system)));
}

void ai_settings_set_model(const char *name)
{
    ai_settings();
    snprintf(current.model, sizeof current.model, "%s", name);
    report_save(save());
}

int ai_settings_set_lora(const char *name)
{
    ai_settings();
    snprintf(current.lora, sizeof current.lora, "%s", name);
    return report_save(save());
}
