/* sampler_harness.c: drives llm/sampler.c from tests/llm/test_sampler.py.
 *
 * stdin holds cases until EOF, numbers separated by whitespace, floats in C99
 * hex notation so they arrive bit-exact:
 *   mode n_vocab temperature top_k top_p min_p repeat_penalty repeat_last_n
 *   seed n_recent n_draws  recent[n_recent]  logits[n_vocab]
 * mode 's': one line with n_draws sampled ids (one sampler, so the random
 * stream runs on; each draw starts from a fresh copy of the logits).
 * mode 'c': one line "count id:prob id:prob ..." from sampler_candidates,
 * probabilities in hex.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

static int read_case(FILE *in)
{
    char mode;
    int n_vocab, n_recent, n_draws;
    unsigned long long seed;
    sampler_params p;
    if (fscanf(in, " %c", &mode) != 1)
        return 0;
    if (fscanf(in, "%d %f %d %f %f %f %d %llu %d %d", &n_vocab, &p.temperature, &p.top_k, &p.top_p,
               &p.min_p, &p.repeat_penalty, &p.repeat_last_n, &seed, &n_recent, &n_draws) != 10 ||
        n_vocab <= 0 || n_recent < 0 || n_draws < 0) {
        fprintf(stderr, "sampler_harness: bad case header\n");
        exit(2);
    }
    p.seed = seed;
    int32_t *recent = malloc(((size_t)n_recent + 1) * sizeof *recent);
    float *logits = malloc((size_t)n_vocab * sizeof *logits);
    float *work = malloc((size_t)n_vocab * sizeof *work);
    for (int i = 0; i < n_recent; i++)
        if (fscanf(in, "%" SCNd32, &recent[i]) != 1)
            exit(2);
    for (int i = 0; i < n_vocab; i++)
        if (fscanf(in, "%f", &logits[i]) != 1)
            exit(2);
    sampler *s = sampler_create(&p, n_vocab);
    if (!s)
        exit(3);
    if (mode == 's') {
        for (int d = 0; d < n_draws; d++) {
            memcpy(work, logits, (size_t)n_vocab * sizeof *work);
            printf(d ? " %d" : "%d", sampler_sample(s, work, n_vocab, recent, n_recent));
        }
    } else {
        const int32_t *ids;
        const float *probs;
        int n = sampler_candidates(s, logits, n_vocab, recent, n_recent, &ids, &probs);
        printf("%d", n);
        for (int i = 0; i < n; i++)
            printf(" %" PRId32 ":%a", ids[i], (double)probs[i]);
    }
    printf("\n");
    fflush(stdout);
    sampler_free(s);
    free(recent);
    free(logits);
    free(work);
    return 1;
}

int main(void)
{
    while (read_case(stdin))
        ;
    return 0;
}
