/* cancel_harness.c: stops llm_load_file at every poll in turn, for
 * tests/llm/test_load_cancel.py. Built with AddressSanitizer and UBSan, so
 * a use of freed memory after a stop aborts.
 *
 *   cancel_harness MODEL memory|parts
 * The model's bytes in memory, or its file read in parts as the OS does.
 * First line "polls N": a load that is never stopped polled N times. Then
 * for each K from 1 to N + 1 a load asked to stop at poll K, one line:
 *   stop K: <"ok" or "error: ..."> polls P leaked B tuning same|changed
 * P: the polls made (K when the stop was heard), B: the engine's live bytes
 * after the attempt (model freed) minus before, "tuning": whether the
 * kernel choice and its figures are what they were before the attempt.
 */
#include <stdio.h>
#include <string.h>

#include "harness_file.h"
#include "host/platform_host.h"
#include "llm.h"
#include "matmul/select.h"

struct stopper {
    uint32_t polls, stop_at; /* stop_at 0: never */
};

static int stop_requested(void *ctx)
{
    struct stopper *s = ctx;
    s->polls++;
    return s->stop_at && s->polls >= s->stop_at;
}

static int same_tuning(const struct select_report *a, const struct select_report *b)
{
    if (a->n != b->n || a->tuned != b->tuned || a->forced != b->forced)
        return 0;
    for (uint32_t f = 0; f < RQ_FORMATS; f++)
        if (a->chosen[f] != b->chosen[f])
            return 0;
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t f = 0; f < RQ_FORMATS; f++)
            if (a->v[i].ns_per_mac[f] != b->v[i].ns_per_mac[f])
                return 0;
    return 1;
}

/* One load stopped at poll stop_at; prints its line (or the first one). */
static void attempt(const struct llm_file *file, uint32_t stop_at, uint32_t *polls)
{
    char err[256];
    struct stopper s = { 0, stop_at };
    struct llm_cancel cancel = { stop_requested, &s };
    struct select_report before = *select_get_report();
    uint64_t live0, live1, peak;
    llm_host_alloc_stats(&live0, &peak);
    struct llm_load_options opt;
    memset(&opt, 0, sizeof opt);
    opt.cancel = &cancel;
    llm_model *m = llm_load_file(file, &opt, err, sizeof err);
    int same = same_tuning(&before, select_get_report());
    llm_model_free(m);
    llm_host_alloc_stats(&live1, &peak);
    *polls = s.polls;
    if (!stop_at)
        return;
    printf("stop %u: %s%s polls %u leaked %lld tuning %s\n", (unsigned)stop_at, m ? "ok" : "error: ", m ? "" : err,
           (unsigned)s.polls, (long long)(live1 - live0), same ? "same" : "changed");
}

int main(int argc, char **argv)
{
    size_t size = 0;
    struct llm_file file = { 0 };
    void *data = NULL;
    int parts = argc == 3 && !strcmp(argv[2], "parts");
    if (argc == 3 && !parts && !strcmp(argv[2], "memory") && (data = harness_read_file(argv[1], &size))) {
        file.size = size;
        file.bytes = data;
    } else if (!parts || llm_host_file_open(argv[1], &file) != 0) {
        fprintf(stderr, "usage: cancel_harness MODEL memory|parts (a readable file)\n");
        return 2;
    }
    /* The first load measures the kernels once for the run: its lasting
     * buffers are not the later loads' to free. */
    uint32_t n;
    attempt(&file, 0, &n);
    attempt(&file, 0, &n);
    printf("polls %u\n", (unsigned)n);
    for (uint32_t k = 1; k <= n + 1; k++) {
        uint32_t polls;
        attempt(&file, k, &polls);
    }
    if (parts)
        llm_host_file_close(&file);
    llm_free(data);
    return 0;
}
