/* main.c: build/host/myos-llm, the engine as a Linux program.
 *
 *   myos-llm -m MODEL [-p PROMPT] [--chat] [-n N] [-t TEMP] [--top-k K] [--top-p P]
 *            [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--seed S] [--ctx N]
 *            [--print-ids] [--tokenizer TOKENIZER.BIN] [--ids "1 2 3"] [--system TEXT]
 *            [--kernel scalar|avx2|avx2-madd|sse2|auto] [--threads N]
 *
 * The generated text goes to stdout exactly as streamed (the kernel's `ai`
 * output is compared with it); model information and timing go to stderr.
 * --chat without -p is an interactive chat on stdin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matmul/select.h"
#include "host/platform_host.h"
#include "llm.h"
#include "platform.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: myos-llm -m MODEL [-p PROMPT] [--chat] [-n N] [-t TEMP] [--top-k K] [--top-p P]\n"
            "                [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--seed S] [--ctx N]\n"
            "                [--print-ids] [--tokenizer TOKENIZER.BIN] [--ids \"ID ...\"] [--system TEXT]\n"
            "                [--kernel scalar|avx2|avx2-madd|sse2|auto] [--threads N]\n");
}

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

static void report(const struct llm_result *r)
{
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
        while (*s == ' ' || *s == ',')
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
        printf("\n");
        if (want_ids) {
            print_ids("prompt_ids", r.prompt_ids, r.n_prompt_ids);
            print_ids("generated_ids", r.gen_ids, r.n_gen_ids);
        }
        report(&r);
    }
}

/* Numeric option values: a clear error instead of a silent 0. */
static int num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < lo || d > hi) {
        fprintf(stderr, "myos-llm: %s needs a number in [%g, %g], got '%s'\n", opt, lo, hi, v);
        return -1;
    }
    *out = d;
    return 0;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *tok_path = NULL, *prompt = NULL, *ids_text = NULL, *kernel = NULL;
    int want_ids = 0;
    uint32_t threads = 1;
    struct llm_settings set;
    llm_settings_default(&set);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        int takes = 1;
        if (!strcmp(a, "--chat")) {
            set.chat = 1;
            takes = 0;
        } else if (!strcmp(a, "--print-ids")) {
            want_ids = 1;
            takes = 0;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        } else if (!v) {
            fprintf(stderr, "myos-llm: unknown option or missing value: %s\n", a);
            usage();
            return 2;
        } else if (!strcmp(a, "-m")) {
            model_path = v;
        } else if (!strcmp(a, "--tokenizer")) {
            tok_path = v;
        } else if (!strcmp(a, "-p")) {
            prompt = v;
        } else if (!strcmp(a, "--ids")) {
            ids_text = v;
        } else if (!strcmp(a, "--kernel")) {
            kernel = v;
        } else if (!strcmp(a, "--system")) {
            set.system_prompt = v;
        } else if (!strcmp(a, "-n")) {
            if (num(a, v, 0, 1 << 20, &d))
                return 2;
            set.max_tokens = (int32_t)d;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--temp")) {
            if (num(a, v, 0, 100, &d))
                return 2;
            set.sampling.temperature = (float)d;
        } else if (!strcmp(a, "--top-k")) {
            if (num(a, v, 0, 1 << 24, &d))
                return 2;
            set.sampling.top_k = (int32_t)d;
        } else if (!strcmp(a, "--top-p")) {
            if (num(a, v, 0, 1, &d))
                return 2;
            set.sampling.top_p = (float)d;
        } else if (!strcmp(a, "--min-p")) {
            if (num(a, v, 0, 1, &d))
                return 2;
            set.sampling.min_p = (float)d;
        } else if (!strcmp(a, "--repeat-penalty")) {
            if (num(a, v, 0.01, 100, &d))
                return 2;
            set.sampling.repeat_penalty = (float)d;
        } else if (!strcmp(a, "--repeat-last-n")) {
            if (num(a, v, 0, 1 << 20, &d))
                return 2;
            set.sampling.repeat_last_n = (int32_t)d;
        } else if (!strcmp(a, "--seed")) {
            if (num(a, v, 0, 18446744073709551615.0, &d))
                return 2;
            set.sampling.seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--threads")) {
            if (num(a, v, 1, LLM_HOST_MAX_THREADS, &d))
                return 2;
            threads = (uint32_t)d;
        } else if (!strcmp(a, "--ctx")) {
            if (num(a, v, 1, 1 << 20, &d))
                return 2;
            set.ctx = (int32_t)d;
        } else {
            fprintf(stderr, "myos-llm: unknown option: %s\n", a);
            usage();
            return 2;
        }
        i += takes;
    }
    if (!model_path) {
        usage();
        return 2;
    }
    size_t size = 0, tok_size = 0;
    void *data = read_file(model_path, &size), *tok = NULL;
    if (!data || (tok_path && !(tok = read_file(tok_path, &tok_size))))
        return 1;
    char err[256];
    if (llm_host_set_threads(threads) != 0) {
        fprintf(stderr, "myos-llm: cannot start %u threads\n", (unsigned)threads);
        return 1;
    }
    if (kernel && select_force(kernel, err, sizeof err) != 0) {
        fprintf(stderr, "myos-llm: --kernel: %s\n", err);
        return 2;
    }
    llm_model *m = llm_load(data, size, tok, tok_size, err, sizeof err);
    if (!m) {
        fprintf(stderr, "myos-llm: %s: %s\n", model_path, err);
        return 1;
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    fprintf(stderr, "model: %s %s '%s' %s, %u layers, dim %u, %u heads (%u kv), vocab %u, %.1fM params\n",
            info.format, info.arch, info.name, info.quant, info.n_layers, info.dim, info.n_heads, info.n_kv_heads,
            info.n_vocab, info.n_params / 1e6);
    const struct select_report *kr = select_get_report();
    fprintf(stderr, "kernels: Q4_1 %s, Q8_0 %s (%s)\n", kr->chosen[RQ_Q4], kr->chosen[RQ_Q8],
            kr->forced ? "forced" : "measured");
    llm_session *s = llm_session_create(m, &set, err, sizeof err);
    if (!s) {
        fprintf(stderr, "myos-llm: %s\n", err);
        return 1;
    }
    int rc = 0;
    struct llm_result r;
    if (ids_text) {
        int32_t *ids;
        uint32_t n;
        if (parse_ids(ids_text, &ids, &n) != 0 || n == 0) {
            fprintf(stderr, "myos-llm: --ids needs space-separated token ids\n");
            return 2;
        }
        rc = llm_generate_ids(s, ids, n, emit_stdout, NULL, &r, err, sizeof err);
        free(ids);
    } else if (prompt) {
        rc = llm_generate(s, prompt, strlen(prompt), emit_stdout, NULL, &r, err, sizeof err);
    } else if (set.chat) {
        rc = chat_loop(s, want_ids);
        prompt = NULL;
    } else {
        fprintf(stderr, "myos-llm: give -p PROMPT, --ids, or --chat for an interactive chat\n");
        rc = 2;
    }
    if (rc == 0 && (prompt || ids_text)) {
        printf("\n");
        if (want_ids) {
            print_ids("prompt_ids", r.prompt_ids, r.n_prompt_ids);
            print_ids("generated_ids", r.gen_ids, r.n_gen_ids);
        }
        fflush(stdout);
        report(&r);
    } else if (rc == -1) {
        fprintf(stderr, "myos-llm: %s\n", err);
        rc = 1;
    }
    llm_session_free(s);
    llm_model_free(m);
    llm_free(data);
    llm_free(tok);
    return rc;
}
