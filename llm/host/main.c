/* main.c: build/host/myos-llm, the engine as a Linux program, with
 * llama.cpp's option names (`myos-llm --help` lists them):
 *
 *   myos-llm -m MODEL (-p PROMPT | --ids "ID ..." | --chat) [-n N] [-c N] [--temp T]
 *            [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--repeat-last-n N]
 *            [-s SEED] [-sys TEXT] [-t N] [--print-ids] [--tokenizer FILE] [--kernel NAME]
 *            [--lora ADAPTER.gguf [--lora-scale S]] [--prepared FILE]
 *   myos-llm -m MODEL --save-prepared FILE
 *   myos-llm -m MODEL (--train FILE | --train-ids FILE) --lora-out ADAPTER.gguf [--lora-rank R]
 *            [--lora-alpha A] [--lora-targets q,v] [--steps N] [--lr X] [--train-ctx T] [--seed S]
 *            [--lora ADAPTER.gguf (to train further)] [--grad-out FILE] [--train-int]
 *
 * The options that set the engine's settings take their ranges and help from
 * its table (llm/settings.h), the one the OS's `set` uses. The generated text
 * goes to stdout exactly as streamed (the kernel's `ai` output is compared
 * with it); model information and timing go to stderr. --chat without -p is
 * an interactive chat on stdin.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/platform_host.h"
#include "matmul/select.h"
#include "llm.h"
#include "platform.h"
#include "train/train.h"

/* getopt values of the options without a short letter. */
enum {
    OPT_CHAT = 256, OPT_PRINT_IDS, OPT_TOKENIZER, OPT_IDS, OPT_KERNEL, OPT_SYSTEM,
    OPT_TEMP, OPT_TOP_K, OPT_TOP_P, OPT_MIN_P, OPT_REPEAT_PENALTY, OPT_REPEAT_LAST_N,
    OPT_TRAIN, OPT_TRAIN_IDS, OPT_LORA, OPT_LORA_OUT, OPT_LORA_SCALE, OPT_LORA_RANK, OPT_LORA_ALPHA,
    OPT_LORA_TARGETS, OPT_STEPS, OPT_LR, OPT_TRAIN_CTX, OPT_TRAIN_SEED, OPT_GRAD_OUT, OPT_TRAIN_INT,
    OPT_PREPARED, OPT_SAVE_PREPARED,
};

/* Every option: its getopt value, its spellings, and either the settings
 * row it sets or its own help. getopt_long_only reads a long spelling after
 * a single dash too, which gives llama.cpp's -sys. */
struct host_option {
    int key;               /* the short letter, or OPT_* */
    const char *dash;      /* llama.cpp's single-dash spelling of several letters, or NULL */
    const char *longs[2];  /* llama.cpp's spelling, then this program's older one */
    const char *arg;       /* the value's name in --help; NULL for a flag */
    const char *setting;   /* row of llm_session_settings or llm_train_settings, or NULL */
    const char *help;      /* options without a row */
};

static const struct host_option host_options[] = {
    { 'm', NULL, { "model" }, "FILE", NULL, "the model: a GGUF file or a llama2.c .bin" },
    { OPT_TOKENIZER, NULL, { "tokenizer" }, "FILE", NULL, "the tokenizer.bin of a llama2.c model" },
    { 'p', NULL, { "prompt" }, "TEXT", NULL, "the prompt: completed as it is, or one user turn with --chat" },
    { OPT_IDS, NULL, { "ids" }, "\"ID ...\"", NULL, "a raw prompt as token ids, separated by spaces or commas" },
    { OPT_CHAT, NULL, { "chat" }, NULL, NULL, "use the model's chat template; without -p, chat on stdin" },
    { OPT_SYSTEM, "sys", { "system-prompt", "system" }, "TEXT", NULL,
      "the system prompt of a chat (default: the template's own)" },
    { OPT_PRINT_IDS, NULL, { "print-ids" }, NULL, NULL, "print the prompt and generated token ids after the text" },
    { 'n', NULL, { "n-predict" }, "N", "max_tokens", NULL },
    { 'c', NULL, { "ctx-size", "ctx" }, "N", "ctx", NULL },
    { OPT_TEMP, NULL, { "temp" }, "T", "temperature", NULL },
    { OPT_TOP_K, NULL, { "top-k" }, "K", "top_k", NULL },
    { OPT_TOP_P, NULL, { "top-p" }, "P", "top_p", NULL },
    { OPT_MIN_P, NULL, { "min-p" }, "P", "min_p", NULL },
    { OPT_REPEAT_PENALTY, NULL, { "repeat-penalty" }, "R", "repeat_penalty", NULL },
    { OPT_REPEAT_LAST_N, NULL, { "repeat-last-n" }, "N", "repeat_last_n", NULL },
    { 's', NULL, { "seed" }, "SEED", "seed", NULL },
    { 't', NULL, { "threads" }, "N", NULL, "threads for llm_parallel_for (1 to 64, default 1)" },
    { OPT_KERNEL, NULL, { "kernel" }, "NAME", NULL,
      "matrix kernels: scalar, avx2, avx2-madd, sse2 or auto (the default)" },
    { OPT_LORA, NULL, { "lora" }, "FILE", NULL,
      "a LoRA adapter (GGUF): applied to the answers, or trained further with --train" },
    { OPT_LORA_SCALE, NULL, { "lora-scale" }, "S", NULL, "multiplier of the --lora adapter (default 1)" },
    { OPT_TRAIN, NULL, { "train" }, "FILE", NULL, "LoRA training on FILE's UTF-8 text or chat turns (needs --lora-out)" },
    { OPT_TRAIN_IDS, NULL, { "train-ids" }, "FILE", NULL, "LoRA training on the token ids (spaces) of FILE" },
    { OPT_LORA_OUT, NULL, { "lora-out" }, "FILE", NULL, "where the trained adapter is written (GGUF)" },
    { OPT_LORA_RANK, NULL, { "lora-rank" }, "R", "lora_rank", NULL },
    { OPT_LORA_ALPHA, NULL, { "lora-alpha" }, "A", "lora_alpha", NULL },
    { OPT_LORA_TARGETS, NULL, { "lora-targets" }, "LIST", "lora_targets", NULL },
    { OPT_STEPS, NULL, { "steps" }, "N", "train_steps", NULL },
    { OPT_LR, NULL, { "lr" }, "X", "train_lr", NULL },
    { OPT_TRAIN_CTX, NULL, { "train-ctx" }, "T", "train_ctx", NULL },
    { OPT_TRAIN_SEED, NULL, { "train-seed" }, "SEED", "train_seed", NULL },
    { OPT_GRAD_OUT, NULL, { "grad-out" }, "FILE", NULL,
      "with --train: the first step's gradients, in the adapter's layout (GGUF)" },
    { OPT_TRAIN_INT, NULL, { "train-int" }, NULL, NULL,
      "with --train: the forward's q, k, o and output products with the integer kernels (less exact)" },
    { OPT_PREPARED, NULL, { "prepared" }, "FILE", NULL,
      "prepared weights to load instead of repacking (used only when made from this model file)" },
    { OPT_SAVE_PREPARED, NULL, { "save-prepared" }, "FILE", NULL,
      "write the model's prepared weights to FILE (the OS reads /MODELS/NAME.prp), then stop" },
    { 'h', NULL, { "help" }, NULL, NULL, "show this list" },
};
#define N_HOST_OPTIONS (sizeof host_options / sizeof host_options[0])
#define N_LONGS (sizeof host_options[0].longs / sizeof host_options[0].longs[0])

/* What the command line asks for. */
struct request {
    const char *model_path, *tok_path, *prompt, *ids_text, *kernel;
    const char *train_path, *train_ids_path, *lora_path, *lora_out, *grad_out;
    const char *prepared_path, *save_prepared_path;
    int want_ids, train_int, train_seed_given;
    int32_t threads;
    float lora_scale;
    struct llm_settings set;
    struct llm_train_settings train;
};

/* The settings row an option sets and the values it lives in: the session's
 * table, else the training's. */
static const struct llm_setting *option_row(struct request *rq, const char *name, void **values)
{
    const struct llm_setting *st = llm_setting_find(llm_session_settings, name);
    if (st) {
        *values = &rq->set;
        return st;
    }
    *values = &rq->train;
    return llm_setting_find(llm_train_settings, name);
}

/* ---- the command line ----------------------------------------------------- */

/* "-n, --n-predict N" or "--temp T", as --help shows an option. */
static void option_names(const struct host_option *o, char *buf, size_t n)
{
    size_t at = 0;
    if (o->key < 128)
        at += (size_t)snprintf(buf + at, n - at, "-%c, ", o->key);
    else if (o->dash)
        at += (size_t)snprintf(buf + at, n - at, "-%s, ", o->dash);
    at += (size_t)snprintf(buf + at, n - at, "--%s", o->longs[0]);
    if (o->arg)
        snprintf(buf + at, n - at, " %s", o->arg);
}

static void usage(void)
{
    struct request defaults;
    llm_settings_default(&defaults.set);
    llm_train_settings_default(&defaults.train);
    printf("usage: myos-llm -m MODEL (-p PROMPT | --ids \"ID ...\" | --chat) [options]\n\n");
    for (size_t i = 0; i < N_HOST_OPTIONS; i++) {
        const struct host_option *o = &host_options[i];
        char names[64];
        option_names(o, names, sizeof names);
        void *values = NULL;
        const struct llm_setting *st = o->setting ? option_row(&defaults, o->setting, &values) : NULL;
        if (!st) {
            printf("  %-26s %s\n", names, o->help);
            continue;
        }
        char range[LLM_SETTING_TEXT_MAX], def[LLM_SETTING_TEXT_MAX];
        llm_setting_range(st, range, sizeof range);
        llm_setting_format(st, values, def, sizeof def);
        printf("  %-26s %s\n  %-26s (%s, default %s; `set %s` in MyOS)\n", names, st->help, "", range, def,
               st->name);
    }
    printf("\nolder spellings, still read:");
    for (size_t i = 0; i < N_HOST_OPTIONS; i++)
        if (host_options[i].longs[1])
            printf(" --%s (--%s)", host_options[i].longs[1], host_options[i].longs[0]);
    printf("\n");
}

/* getopt_long_only's tables, built from host_options. */
static void getopt_tables(struct option *longs, char *shorts)
{
    size_t n = 0, s = 0;
    shorts[s++] = ':'; /* a missing value returns ':' */
    for (size_t i = 0; i < N_HOST_OPTIONS; i++) {
        const struct host_option *o = &host_options[i];
        int has_arg = o->arg ? required_argument : no_argument;
        for (size_t k = 0; k < N_LONGS && o->longs[k]; k++)
            longs[n++] = (struct option){ o->longs[k], has_arg, NULL, o->key };
        if (o->dash)
            longs[n++] = (struct option){ o->dash, has_arg, NULL, o->key };
        if (o->key < 128) {
            shorts[s++] = (char)o->key;
            if (o->arg)
                shorts[s++] = ':';
        }
    }
    longs[n] = (struct option){ 0 };
    shorts[s] = 0;
}

static const struct host_option *find_option(int key)
{
    for (size_t i = 0; i < N_HOST_OPTIONS; i++)
        if (host_options[i].key == key)
            return &host_options[i];
    return NULL;
}

/* -t N, a host option: the OS computes on its CPUs. The same parser as the
 * settings; an error recalls that -t was the temperature before. */
static int parse_threads(const char *text, int32_t *threads)
{
    static const struct llm_setting row = { "threads", LLM_SETTING_INT, 1, 1, LLM_HOST_MAX_THREADS, 0, NULL };
    char err[160];
    if (llm_setting_parse(&row, text, "--threads", threads, err, sizeof err) != 0) {
        fprintf(stderr, "myos-llm: %s (the temperature is --temp)\n", err);
        return -1;
    }
    return 0;
}

/* Applies one option. 0, or -1 after an error line. */
static int apply_option(struct request *rq, const struct host_option *o, const char *value)
{
    char label[40], err[200];
    if (o->setting) {
        snprintf(label, sizeof label, "--%s", o->longs[0]);
        void *values;
        const struct llm_setting *st = option_row(rq, o->setting, &values);
        rq->train_seed_given |= o->key == OPT_TRAIN_SEED;
        if (llm_setting_parse(st, value, label, values, err, sizeof err) == 0)
            return 0;
        fprintf(stderr, "myos-llm: %s\n", err);
        return -1;
    }
    switch (o->key) {
    case 'm': rq->model_path = value; break;
    case 'p': rq->prompt = value; break;
    case 't': return parse_threads(value, &rq->threads);
    case OPT_TOKENIZER: rq->tok_path = value; break;
    case OPT_IDS: rq->ids_text = value; break;
    case OPT_CHAT: rq->set.chat = 1; break;
    case OPT_SYSTEM: rq->set.system_prompt = value; break;
    case OPT_PRINT_IDS: rq->want_ids = 1; break;
    case OPT_KERNEL: rq->kernel = value; break;
    case OPT_TRAIN: rq->train_path = value; break;
    case OPT_TRAIN_IDS: rq->train_ids_path = value; break;
    case OPT_LORA: rq->lora_path = value; break;
    case OPT_LORA_OUT: rq->lora_out = value; break;
    case OPT_GRAD_OUT: rq->grad_out = value; break;
    case OPT_TRAIN_INT: rq->train_int = 1; break;
    case OPT_PREPARED: rq->prepared_path = value; break;
    case OPT_SAVE_PREPARED: rq->save_prepared_path = value; break;
    case OPT_LORA_SCALE: {
        static const struct llm_setting row = { "lora-scale", LLM_SETTING_FLOAT, 1, -100, 100, 0, NULL };
        if (llm_setting_parse(&row, value, "--lora-scale", &rq->lora_scale, err, sizeof err) != 0) {
            fprintf(stderr, "myos-llm: %s\n", err);
            return -1;
        }
        break;
    }
    }
    return 0;
}

/* 0 to go on; -1 to stop with *status: 0 after --help, 2 after an error line. */
static int parse_command_line(int argc, char **argv, struct request *rq, int *status)
{
    *status = 2;
    struct option longs[N_HOST_OPTIONS * (N_LONGS + 1) + 1];
    char shorts[2 * N_HOST_OPTIONS + 2];
    getopt_tables(longs, shorts);
    memset(rq, 0, sizeof *rq);
    rq->threads = 1;
    rq->lora_scale = 1.0f;
    llm_settings_default(&rq->set);
    llm_train_settings_default(&rq->train);
    opterr = 0; /* our own messages */
    int key;
    while ((key = getopt_long_only(argc, argv, shorts, longs, NULL)) != -1) {
        if (key == '?' || key == ':') {
            fprintf(stderr, "myos-llm: %s: %s (myos-llm --help lists the options)\n",
                    key == ':' ? "missing value" : "unknown option", argv[optind - 1]);
            return -1;
        }
        if (key == 'h') {
            usage();
            *status = 0;
            return -1;
        }
        if (apply_option(rq, find_option(key), optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "myos-llm: unexpected argument '%s' (a prompt goes after -p)\n", argv[optind]);
        return -1;
    }
    if (!rq->model_path) {
        fprintf(stderr, "myos-llm: give the model with -m FILE (myos-llm --help lists the options)\n");
        return -1;
    }
    if (rq->train_path || rq->train_ids_path) {
        if (!rq->lora_out) {
            fprintf(stderr, "myos-llm: --train needs --lora-out FILE for the adapter\n");
            return -1;
        }
        if (!rq->train_seed_given)
            rq->train.train_seed = rq->set.sampling.seed; /* --seed, as the training's brief spells it */
        return 0;
    }
    if (rq->save_prepared_path)
        return 0;
    if (!rq->prompt && !rq->ids_text && !rq->set.chat) {
        fprintf(stderr, "myos-llm: give -p PROMPT, --ids, or --chat for an interactive chat\n");
        return -1;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------- */

/* Reads a whole file into 32-byte aligned memory (the engine uses it in place). */
static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "myos-llm: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    void *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0 || !(buf = llm_alloc((size_t)n, 32)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "myos-llm: cannot read %s\n", path);
        llm_free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* The model from its bytes, with --prepared's weights when they match (a
 * line on stderr says when they do not). NULL after an error line. */
static llm_model *load(const struct request *rq, const void *data, size_t size, const void *tok, size_t tok_size)
{
    char err[256];
    struct llm_file file = { size, data, NULL, NULL }, tok_file = { tok_size, tok, NULL, NULL }, prepared;
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.tokenizer = tok ? &tok_file : NULL;
    if (rq->prepared_path) {
        if (llm_host_file_open(rq->prepared_path, &prepared) != 0) {
            fprintf(stderr, "myos-llm: cannot open %s: %s\n", rq->prepared_path, strerror(errno));
            return NULL;
        }
        opt.prepared = &prepared;
    }
    llm_model *m = llm_load_file(&file, &opt, err, sizeof err);
    if (rq->prepared_path) {
        llm_host_file_close(&prepared);
        if (m)
            fprintf(stderr, "prepared weights %s: %s\n", rq->prepared_path,
                    opt.prepared_used ? "used" : opt.prepared_note);
    }
    if (!m)
        fprintf(stderr, "myos-llm: %s: %s\n", rq->model_path, err);
    return m;
}

static int write_to_file(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
    if (fwrite(buf, 1, len, ctx) == len)
        return 0;
    snprintf(err, errlen, "cannot write: %s", strerror(errno));
    return -1;
}

/* --save-prepared: written beside as PATH.tmp, then renamed, so that a
 * stopped run never leaves half a file under the real name. 0, or 1 after
 * an error line. */
static int save_prepared(const llm_model *m, const char *path)
{
    char tmp[4096], err[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "myos-llm: cannot create %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    struct llm_sink sink = { write_to_file, f };
    int rc = llm_save_prepared(m, &sink, err, sizeof err);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, sizeof err, "cannot write: %s", strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, sizeof err, "cannot rename it: %s", strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        remove(tmp);
        fprintf(stderr, "myos-llm: %s: %s\n", path, err);
        return 1;
    }
    return 0;
}

/* The model and what it is made of, on stderr. */
static void describe(llm_model *m)
{
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    fprintf(stderr, "model: %s %s '%s' %s, %u layers, dim %u, %u heads (%u kv), vocab %u, %.1fM params\n",
            info.format, info.arch, info.name, info.quant, info.n_layers, info.dim, info.n_heads, info.n_kv_heads,
            info.n_vocab, info.n_params / 1e6);
    const struct select_report *kr = select_get_report();
    fprintf(stderr, "kernels:");
    for (uint32_t f = 0; f < RQ_FORMATS; f++)
        fprintf(stderr, "%s %s %s", f ? "," : "", select_format_name(f), kr->chosen[f]);
    fprintf(stderr, " (%s)\n", kr->forced ? "forced" : "measured");
}

/* ---- generation ---------------------------------------------------------- */

static int emit_stdout(void *user, const char *text, size_t len)
{
    (void)user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static void print_ids(const char *label, const int32_t *ids, uint32_t n)
{
    printf("%s:", label);
    for (uint32_t i = 0; i < n; i++)
        printf(" %ld", (long)ids[i]);
    printf("\n");
}

/* After an answer: the newline, the ids when asked, the timing on stderr. */
static void report(const struct llm_result *r, int want_ids)
{
    printf("\n");
    if (want_ids) {
        print_ids("prompt_ids", r->prompt_ids, r->n_prompt_ids);
        print_ids("generated_ids", r->gen_ids, r->n_gen_ids);
    }
    fflush(stdout);
    double ps = r->prompt_ns / 1e9, gs = r->gen_ns / 1e9;
    fprintf(stderr, "\n[prompt: %u tokens, %.2f s, %.2f tok/s | generation: %u tokens, %.2f s, %.2f tok/s]\n",
            r->prompt_tokens, ps, ps > 0 ? r->prompt_tokens / ps : 0.0, r->gen_tokens, gs,
            gs > 0 ? r->gen_tokens / gs : 0.0);
}

/* Parses "1 2 3" (spaces or commas) into ids; -1 on a malformed list. */
static int parse_ids(const char *s, int32_t **out, uint32_t *n)
{
    *n = 0;
    *out = malloc(sizeof(int32_t) * (strlen(s) / 2 + 1)); /* an id and a separator each */
    if (!*out)
        return -1;
    for (;;) {
        while (*s == ' ' || *s == ',' || *s == '\n' || *s == '\r' || *s == '\t')
            s++;
        if (!*s)
            return 0;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 0 || v > 0x7fffffffL)
            return -1;
        (*out)[(*n)++] = (int32_t)v;
        s = end;
    }
}

/* One answer to --ids or -p: the exit status. */
static int answer_once(llm_session *s, const struct request *rq)
{
    char err[256];
    struct llm_result r;
    int rc;
    if (rq->ids_text) {
        int32_t *ids;
        uint32_t n;
        if (parse_ids(rq->ids_text, &ids, &n) != 0 || n == 0) {
            fprintf(stderr, "myos-llm: --ids needs space-separated token ids\n");
            free(ids);
            return 2;
        }
        rc = llm_generate_ids(s, ids, n, emit_stdout, NULL, &r, err, sizeof err);
        free(ids);
    } else {
        rc = llm_generate(s, rq->prompt, strlen(rq->prompt), emit_stdout, NULL, &r, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "myos-llm: %s\n", err);
        return 1;
    }
    report(&r, rq->want_ids);
    return 0;
}

/* --chat without -p: one turn per line of stdin until its end. */
static int chat_loop(llm_session *s, int want_ids)
{
    char line[8192];
    char err[256];
    for (;;) {
        fprintf(stderr, "> ");
        if (!fgets(line, sizeof line, stdin))
            return 0;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len)
            continue;
        struct llm_result r;
        if (llm_generate(s, line, len, emit_stdout, NULL, &r, err, sizeof err) != 0) {
            fprintf(stderr, "myos-llm: %s\n", err);
            continue;
        }
        report(&r, want_ids);
    }
}

/* ---- LoRA ------------------------------------------------------------------ */

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "myos-llm: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

static int save_adapter(const llm_model *m, const struct lora_adapter *ad, const char *path)
{
    uint64_t n = lora_gguf_bytes(m, ad);
    uint8_t *buf = malloc((size_t)n);
    if (!buf) {
        fprintf(stderr, "myos-llm: out of memory for %s\n", path);
        return -1;
    }
    lora_gguf_write(m, ad, buf);
    int rc = write_file(path, buf, (size_t)n);
    free(buf);
    return rc;
}

/* --lora FILE into ad: 0, or -1 after an error line. */
static int load_adapter(const llm_model *m, const char *path, struct lora_adapter *ad)
{
    size_t size;
    char err[256];
    void *data = read_file(path, &size);
    if (!data)
        return -1;
    int rc = lora_gguf_read(m, data, size, ad, err, sizeof err);
    llm_free(data);
    if (rc != 0)
        fprintf(stderr, "myos-llm: %s: %s\n", path, err);
    return rc;
}

/* The training tokens: the text of --train, or the ids of --train-ids. */
static int training_tokens(const llm_model *m, const struct request *rq, int32_t **ids, uint32_t *n)
{
    char err[256];
    size_t size;
    const char *path = rq->train_path ? rq->train_path : rq->train_ids_path;
    char *text = read_file(path, &size);
    if (!text)
        return -1;
    uint32_t ctx = (uint32_t)rq->train.train_ctx;
    int rc = 0;
    if (rq->train_path) {
        rc = train_tokenize(m, text, size, ctx, ids, n, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "myos-llm: %s: %s\n", path, err);
    } else {
        struct llm_model_info info;
        llm_model_get_info(m, &info);
        char *z = malloc(size + 1);
        if (z) {
            memcpy(z, text, size);
            z[size] = 0;
        }
        llm_free(text);
        rc = !z || parse_ids(z, ids, n) != 0 ? -1 : 0;
        for (uint32_t i = 0; rc == 0 && i < *n; i++)
            rc = (uint32_t)(*ids)[i] < info.n_vocab ? 0 : -1;
        if (rc == 0 && *n < ctx + 1)
            rc = -1;
        int32_t *copy = rc == 0 ? llm_alloc(sizeof(int32_t) * *n, 8) : NULL; /* freed as train_tokenize's */
        if (copy)
            memcpy(copy, *ids, sizeof(int32_t) * *n);
        else
            rc = -1;
        free(*ids);
        *ids = copy;
        if (rc != 0)
            fprintf(stderr, "myos-llm: %s: needs at least train_ctx + 1 = %u token ids below %u\n", path, ctx + 1,
                    info.n_vocab);
        free(z);
        return rc;
    }
    llm_free(text);
    return rc;
}

/* --train: the exit status. */
static int train_main(llm_model *m, const struct request *rq)
{
    char err[256];
    int32_t *ids = NULL;
    uint32_t n_ids = 0;
    const struct llm_train_settings *ts = &rq->train;
    struct lora_adapter ad;
    if (training_tokens(m, rq, &ids, &n_ids) != 0)
        return 1;
    if (rq->lora_path) {
        if (load_adapter(m, rq->lora_path, &ad) != 0)
            return 1;
    } else {
        if (train_new_adapter(m, ts, &ad, err, sizeof err) != 0) {
            fprintf(stderr, "myos-llm: %s\n", err);
            return 1;
        }
    }
    uint32_t ctx = (uint32_t)ts->train_ctx;
    struct trainer *tr = train_create(m, &ad, ctx, rq->train_int, err, sizeof err);
    if (!tr) {
        fprintf(stderr, "myos-llm: %s\n", err);
        lora_free(&ad);
        return 1;
    }
    fprintf(stderr, "train: %u tokens, %u per step, rank %u, %lu adapter values, %.1f MiB of training state\n",
            n_ids, ctx, ad.rank, (unsigned long)ad.n_params, train_bytes(m, &ad, ctx) / 1048576.0);
    if (rq->want_ids)
        print_ids("train_ids", ids, n_ids);
    int rc = 0;
    for (int32_t step = 0; step < ts->train_steps && rc == 0; step++) {
        uint64_t t0 = llm_time_ns();
        float loss = train_loss_and_grads(tr, train_chunk(ids, n_ids, ctx, (uint32_t)step));
        if (step == 0 && rq->grad_out)
            rc = save_adapter(m, train_grads(tr), rq->grad_out);
        train_update(tr, ts->train_lr);
        double sec = (llm_time_ns() - t0) / 1e9;
        printf("step %ld/%ld loss %.6f %.1f tok/s %.3f s\n", (long)step + 1, (long)ts->train_steps, loss,
               ctx / sec, sec);
        fflush(stdout);
    }
    if (rc == 0)
        rc = save_adapter(m, &ad, rq->lora_out);
    train_free(tr);
    lora_free(&ad);
    llm_free(ids);
    return rc != 0;
}

int main(int argc, char **argv)
{
    struct request rq;
    int rc;
    if (parse_command_line(argc, argv, &rq, &rc) != 0)
        return rc;
    char err[256];
    if (llm_host_set_threads((uint32_t)rq.threads) != 0) {
        fprintf(stderr, "myos-llm: cannot start %ld threads\n", (long)rq.threads);
        return 1;
    }
    if (rq.kernel && select_force(rq.kernel, err, sizeof err) != 0) {
        fprintf(stderr, "myos-llm: --kernel: %s\n", err);
        return 2;
    }
    size_t size = 0, tok_size = 0;
    void *data = read_file(rq.model_path, &size), *tok = NULL;
    if (!data || (rq.tok_path && !(tok = read_file(rq.tok_path, &tok_size))))
        return 1;
    llm_model *m = load(&rq, data, size, tok, tok_size);
    if (!m)
        return 1;
    describe(m);
    if (rq.save_prepared_path) {
        rc = save_prepared(m, rq.save_prepared_path);
        llm_model_free(m);
        llm_free(data);
        llm_free(tok);
        return rc;
    }
    struct lora_adapter ad = { 0 };
    if (rq.train_path || rq.train_ids_path) {
        rc = train_main(m, &rq);
        llm_model_free(m);
        llm_free(data);
        llm_free(tok);
        return rc;
    }
    if (rq.lora_path) {
        if (load_adapter(m, rq.lora_path, &ad) != 0)
            return 1;
        ad.scale = rq.lora_scale;
        llm_model_set_lora(m, &ad);
    }
    llm_session *s = llm_session_create(m, &rq.set, err, sizeof err);
    if (!s) {
        fprintf(stderr, "myos-llm: %s\n", err);
        rc = 1;
    } else {
        rc = rq.prompt || rq.ids_text ? answer_once(s, &rq) : chat_loop(s, rq.want_ids);
    }
    llm_session_free(s);
    llm_model_free(m);
    lora_free(&ad);
    llm_free(data);
    llm_free(tok);
    return rc;
}
