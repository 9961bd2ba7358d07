/* cmd_bench.c: `bench` (llama-bench style): measures the matrix-vector
 * kernel variants on this CPU and the chosen one on every repacked file
 * format, then the current model's prompt processing
 * (64 tokens) and generation (64 greedy tokens) with a per-token profile and
 * how evenly the CPUs shared the work; `bench kernels` stops after the
 * kernels, `bench model` measures only the model (to compare models in one
 * boot); `bench parallel [JOBS]` stresses the parallel primitive (results
 * checked; Ctrl+C stops it). Timed with the calibrated TSC. */
#include "shell/bench.h"
#include "shell/command.h"
#include "ai/model.h"
#include "arch/x86/parallel.h"
#include "arch/x86/timer.h"
#include "matmul/select.h"
#include "params.h"
#include "parallel_check.h"
#include "profile.h"
#include "repack_model.h"
#include "drivers/console.h"
#include "lib/string.h"

#define BENCH_TOKENS 64
#define KERNEL_BUDGET_MS 100
#define FORMAT_BUDGET_MS 200
#define CHECK_JOBS_DEFAULT 2000
#define CHECK_JOBS_MAX 100000000u

/* Any text works: it only has to give the model 64 real tokens to chew on. */
static const char bench_text[] =
    "The history of the lighthouse begins in the ancient world, when fires were lit on hills to guide "
    "ships safely into harbour. Over the centuries these simple beacons became towers of stone, and the "
    "keepers who tended their lamps through storms and long winter nights became figures of legend.";

/* " Q4_1 avx2, Q8_0 avx2, ...": the variant chosen for each format. */
static void print_choice(const struct select_report *r)
{
    for (uint32_t f = 0; f < RQ_FORMATS; f++)
        kprintf("%s %s %s", f ? "," : "", select_format_name(f), r->chosen[f]);
}

void bench_print_kernel_choice(void)
{
    char err[160];
    if (select_init(LLM_SELECT_BUDGET_MS, err, sizeof err) != 0) {
        kprintf("kernels:  %s\n", err);
        return;
    }
    const struct select_report *r = select_get_report();
    kprintf("kernels: ");
    print_choice(r);
    kprintf(" (%s)\n", r->forced ? "forced" : "fastest measured");
}

/* Every repacked file format on its own test matrix with the chosen
 * kernel, in the same run, against Q4_1's figure. */
static int print_formats(void)
{
    static const uint32_t types[] = { QT_Q4_1, QT_Q8_0, QT_Q4_0, QT_Q5_0, QT_Q5_1, QT_Q4_K, QT_Q5_K, QT_Q6_K, QT_BF16 };
    enum { N = sizeof types / sizeof types[0] };
    char err[160];
    float ns[N];
    if (select_time_types(types, N, FORMAT_BUDGET_MS, ns, err, sizeof err) != 0) {
        kprintf("error: %s\n", err);
        return -1;
    }
    for (uint32_t i = 0; i < N; i++)
        kprintf("format %-5s %7.3f ns/MAC  %5.2fx Q4_1\n", quant_type_name(types[i]), (double)ns[i],
                (double)(ns[i] / ns[0]));
    return 0;
}

static int print_kernels(void)
{
    char err[160];
    kprintf("measuring the kernels (%u ms each)...\n", KERNEL_BUDGET_MS);
    if (select_measure(KERNEL_BUDGET_MS, err, sizeof err) != 0) {
        kprintf("error: %s\n", err);
        return -1;
    }
    const struct select_report *r = select_get_report();
    for (uint32_t i = 0; i < r->n; i++) {
        if (!r->v[i].allowed)
            kprintf("kernel %-9s not supported by this CPU\n", r->v[i].name);
        else if (!r->v[i].exact)
            kprintf("kernel %-9s differs from the scalar results: not used\n", r->v[i].name);
        else {
            kprintf("kernel %-9s", r->v[i].name);
            for (uint32_t f = 0; f < RQ_FORMATS; f++)
                kprintf(" %s %7.3f ns/MAC  ", select_format_name(f), (double)r->v[i].ns_per_mac[f]);
            kprintf("\n");
        }
    }
    kprintf("chosen:");
    print_choice(r);
    kprintf("%s\n", r->forced ? " (forced)" : "");
    return print_formats();
}

static int32_t argmax(const float *v, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return (int32_t)best;
}

/* One line: rate and where the time per token went. */
static void report(const char *what, uint32_t tokens, uint64_t ns)
{
    const struct llm_profile *p = &llm_prof;
    double per = (double)ns / tokens / 1e6;
    double mat = (double)p->matmul_ns / tokens / 1e6, quant = (double)p->quantize_ns / tokens / 1e6;
    double attn = (double)p->attention_ns / tokens / 1e6;
    kprintf("%-10s %3u tokens %7.2f tok/s  %7.1f ms/token: matmul %.1f (%.3f ns/MAC), "
            "quantize %.1f, attention %.1f, other %.1f\n",
            what, (unsigned)tokens, tokens * 1e9 / (double)ns, per, mat,
            p->macs ? (double)p->matmul_ns / (double)p->macs : 0.0, quant, attn, per - mat - quant - attn);
}

/* How evenly the CPUs shared the jobs since the last reset: each CPU's time
 * inside the jobs as a share of the jobs' wall time; the rest is waiting
 * (for the slowest CPU, or for the job to reach it). */
static void report_sharing(void)
{
    const struct parallel_stats *p = parallel_get_stats();
    uint32_t workers = parallel_workers();
    if (!p->jobs || !p->wall_tsc)
        return;
    kprintf("           %llu parallel jobs on %u CPU%s, busy share of the job time:",
            (unsigned long long)p->jobs, (unsigned)workers, workers > 1 ? "s" : "");
    uint64_t sum = 0;
    for (uint32_t w = 0; w < workers; w++) {
        kprintf(" %u%%", (unsigned)(p->busy_tsc[w] * 100 / p->wall_tsc));
        sum += p->busy_tsc[w];
    }
    kprintf(" (imbalance and hand-out %u%%)\n", (unsigned)(100 - sum * 100 / (p->wall_tsc * workers)));
}

static int stop_on_ctrl_c(void *user)
{
    (void)user;
    return console_poll_cancel();
}

static int check_parallel(int argc, char **argv)
{
    uint32_t jobs = CHECK_JOBS_DEFAULT;
    if (argc == 3) {
        char *end;
        unsigned long v = strtoul(argv[2], &end, 10);
        if (*end || end == argv[2] || v == 0 || v > CHECK_JOBS_MAX) {
            kprintf("error: bench parallel JOBS: a number from 1 to %u\n", CHECK_JOBS_MAX);
            return 1;
        }
        jobs = (uint32_t)v;
    }
    struct llm_parallel_check r;
    uint64_t t0 = timer_ns();
    if (llm_parallel_check(jobs, (uint32_t)t0, stop_on_ctrl_c, NULL, &r) != 0) {
        kprintf("error: bench parallel: out of memory\n");
        return 1;
    }
    uint64_t us = (timer_ns() - t0) / 1000;
    if (r.stopped)
        kprintf("^C (stopped)\n");
    kprintf("parallel: %u jobs, %llu indices on %u CPUs in %llu ms, %u errors; indices per CPU:",
            (unsigned)r.jobs, (unsigned long long)r.indices, (unsigned)r.workers,
            (unsigned long long)(us / 1000), (unsigned)r.errors);
    for (uint32_t w = 0; w < r.workers && w < LLM_CHECK_MAX_WORKERS; w++)
        kprintf(" %llu", (unsigned long long)r.by_worker[w]);
    kprintf("\n");
    if (r.errors) {
        kprintf("error: the parallel primitive gave wrong results\n");
        return 1;
    }
    return 0;
}

static int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "parallel") == 0 && argc <= 3)
        return check_parallel(argc, argv);
    int kernels = argc == 1 || strcmp(argv[1], "kernels") == 0;
    int model = argc == 1 || strcmp(argv[1], "model") == 0;
    if (argc > 2 || !(kernels || model)) {
        kprintf("error: usage: bench [kernels | model | parallel [JOBS]]\n");
        return 1;
    }
    if (kernels && print_kernels() != 0)
        return 1;
    if (!model)
        return 0;
    llm_session *s = ai_model_session();
    if (!s)
        return 1;
    llm_model *m = ai_model_current();
    /* The test matrix's ranking can differ from the model's: choose on it. */
    if (rq_tune_model(m) == 0) {
        const struct select_report *r = select_get_report();
        kprintf("on the model:");
        print_choice(r);
        kprintf("\n");
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    char err[200];
    int32_t ids[BENCH_TOKENS];
    int n = llm_tokenize(m, bench_text, strlen(bench_text), 1, ids, BENCH_TOKENS, err, sizeof err);
    if (n < 2) {
        kprintf("error: bench needs a model with a tokenizer (%s)\n", n < 0 ? err : "no tokens");
        return 1;
    }
    for (int i = n; i < BENCH_TOKENS; i++) /* a short text repeats */
        ids[i] = ids[1 + (i - n) % (n - 1)];
    if (llm_session_ctx(s) < 2 * BENCH_TOKENS) {
        kprintf("error: bench needs a context of %u tokens ('set ctx')\n", 2 * BENCH_TOKENS);
        return 1;
    }
    llm_session_reset(s);
    llm_profile_reset();
    parallel_stats_reset();
    uint64_t t0 = timer_ns();
    const float *logits = llm_eval(s, ids, BENCH_TOKENS, err, sizeof err);
    uint64_t prompt_ns = timer_ns() - t0;
    if (!logits) {
        kprintf("error: %s\n", err);
        return 1;
    }
    report("prompt", BENCH_TOKENS, prompt_ns);
    report_sharing();
    llm_profile_reset();
    parallel_stats_reset();
    t0 = timer_ns();
    for (int i = 0; i < BENCH_TOKENS && logits; i++) {
        int32_t id = argmax(logits, info.n_vocab);
        logits = llm_eval(s, &id, 1, err, sizeof err);
    }
    uint64_t gen_ns = timer_ns() - t0;
    if (!logits) {
        kprintf("error: %s\n", err);
        return 1;
    }
    report("generation", BENCH_TOKENS, gen_ns);
    report_sharing();
    llm_session_reset(s);
    return 0;
}
SHELL_COMMAND(bench, "measure the kernels, prompt and generation speed; bench kernels|model|parallel [JOBS]",
              cmd_bench);
