/* settings.c: the settings table (name, type, range), parsing and printing
 * of values, and their files in /MYOS/. Numbers are parsed exactly as the
 * host program's strtod + float conversion does for ordinary decimals, so a
 * `set temperature 0.8` here and `-t 0.8` there sample identically. */
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

enum kind { K_FLOAT, K_INT, K_U64 };

struct setting {
    const char *name;
    enum kind kind;
    double lo, hi;
    size_t offset;
};

#define AT(field) offsetof(struct ai_settings, field)
static const struct setting table[] = {
    { "temperature", K_FLOAT, 0, 10, AT(sampling.temperature) },
    { "top_k", K_INT, 0, 1000000, AT(sampling.top_k) },
    { "top_p", K_FLOAT, 0, 1, AT(sampling.top_p) },
    { "min_p", K_FLOAT, 0, 1, AT(sampling.min_p) },
    { "repeat_penalty", K_FLOAT, 0.01, 100, AT(sampling.repeat_penalty) },
    { "repeat_last_n", K_INT, 0, 65536, AT(sampling.repeat_last_n) },
    { "seed", K_U64, 0, 0, AT(sampling.seed) },
    { "max_tokens", K_INT, 1, 65536, AT(max_tokens) },
    { "ctx", K_INT, 16, 32768, AT(ctx) },
    { "show_ids", K_INT, 0, 1, AT(show_ids) },
    { "color", K_INT, 0, 1, AT(color) },
};
#define N_SETTINGS (sizeof table / sizeof table[0])

static struct ai_settings current;
static int loaded;

/* ---- numbers ---------------------------------------------------------- */

/* Decimal digits into an integer; *digits counts them. 0 on overflow. */
static int parse_digits(const char **s, uint64_t *v, int *digits, int *dropped)
{
    *v = 0;
    *digits = 0;
    while (**s >= '0' && **s <= '9') {
        unsigned d = (unsigned)(**s - '0');
        if (*v > (UINT64_MAX - d) / 10) {
            if (!dropped)
                return 0;
            (*dropped)++; /* beyond 19 digits: the value's scale still counts */
        } else {
            *v = *v * 10 + d;
        }
        (*digits)++;
        (*s)++;
    }
    return 1;
}

/* [+-]digits[.digits][e[+-]digits]; -1 unless the whole text is a number. */
static int parse_float(const char *s, double *out)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t m = 0, e = 0;
    int n_int, n_frac = 0, dropped = 0, exp10 = 0;
    parse_digits(&s, &m, &n_int, &dropped);
    exp10 += dropped;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (m <= (UINT64_MAX - 9) / 10) {
                m = m * 10 + (unsigned)(*s - '0');
                exp10--;
            }
            n_frac++;
            s++;
        }
    }
    if (n_int + n_frac == 0)
        return -1;
    if (*s == 'e' || *s == 'E') {
        s++;
        int eneg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        int n_exp;
        if (!parse_digits(&s, &e, &n_exp, NULL) || n_exp == 0 || e > 400)
            return -1;
        exp10 += eneg ? -(int)e : (int)e;
    }
    if (*s || exp10 > 300 || exp10 < -300)
        return -1;
    /* One correctly rounded operation when m < 2^53 and |exp10| <= 22. */
    double p = 1;
    for (int i = 0; i < (exp10 < 0 ? -exp10 : exp10); i++)
        p *= 10;
    double v = exp10 < 0 ? (double)m / p : (double)m * p;
    *out = neg ? -v : v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    int digits;
    if (!parse_digits(&s, out, &digits, NULL) || digits == 0 || *s)
        return -1;
    return 0;
}

/* The shortest of %.6g / %.9g that reads back as the same float. */
static void format_float(char *buf, size_t n, float f)
{
    double back;
    snprintf(buf, n, "%.6g", (double)f);
    if (parse_float(buf, &back) != 0 || (float)back != f)
        snprintf(buf, n, "%.9g", (double)f);
}

static void format_value(const struct setting *st, char *buf, size_t n)
{
    const void *p = (const char *)&current + st->offset;
    switch (st->kind) {
    case K_FLOAT: format_float(buf, n, *(const float *)p); break;
    case K_INT: snprintf(buf, n, "%ld", (long)*(const int32_t *)p); break;
    case K_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    }
}

/* ---- the table ---------------------------------------------------------- */

static const struct setting *find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

/* Sets one value; -1 with a message (without "error: ") in msg. */
static int apply(const char *name, const char *value, char *msg, size_t msglen)
{
    const struct setting *st = find(name);
    if (!st) {
        snprintf(msg, msglen, "unknown setting '%s' (type 'set' for the list)", name);
        return -1;
    }
    void *p = (char *)&current + st->offset;
    if (st->kind == K_U64) {
        uint64_t v; /* parsed aside: a refused value leaves the setting as it was */
        if (parse_u64(value, &v) != 0) {
            snprintf(msg, msglen, "%s: '%s' is not a whole number from 0 to 18446744073709551615", name, value);
            return -1;
        }
        *(uint64_t *)p = v;
    } else {
        double v;
        int whole = st->kind == K_INT;
        if (parse_float(value, &v) != 0) {
            snprintf(msg, msglen, "%s: '%s' is not a%s number", name, value, whole ? " whole" : "");
            return -1;
        }
        /* Range first: only an in-range value may be converted to an integer. */
        if (v < st->lo || v > st->hi) {
            snprintf(msg, msglen, "%s: %s is out of range (%g to %g)", name, value, st->lo, st->hi);
            return -1;
        }
        if (whole && v != (double)(int32_t)v) {
            snprintf(msg, msglen, "%s: '%s' is not a whole number", name, value);
            return -1;
        }
        if (whole)
            *(int32_t *)p = (int32_t)v;
        else
            *(float *)p = (float)v;
    }
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
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char v[32];
        format_value(&table[i], v, sizeof v);
        at += (size_t)snprintf(text + at, SETTINGS_FILE_MAX - at, "%s %s\n", table[i].name, v);
    }
    if (current.model[0])
        at += (size_t)snprintf(text + at, SETTINGS_FILE_MAX - at, "model %s\n", current.model);
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
        struct llm_settings d;
        llm_settings_default(&d);
        current.sampling = d.sampling;
        current.max_tokens = d.max_tokens;
        current.ctx = d.ctx;
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
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char v[32];
        format_value(&table[i], v, sizeof v);
        kprintf("%-15s %s\n", table[i].name, v);
    }
    kprintf("%-15s %s\n", "system", current.has_system ? "(set: type 'system' to see it)" : "(model default)");
    kprintf("%-15s %s\n", "model", current.model[0] ? current.model : "(first in /MODELS)");
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
