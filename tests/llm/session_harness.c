/* session_harness.c: the session API of llm.h beyond what myos-llm shows,
 * for tests/llm/test_generate.py.
 *
 *   session_harness MODEL stop K PROMPT   greedy raw generation whose callback
 *                                         asks to stop at the K-th text piece
 *   session_harness MODEL stop-prompt K PROMPT
 *                                         the same, stopping at the K-th poll
 *                                         during the prompt (a call without
 *                                         text), then the prompt once more
 *   session_harness MODEL repeat PROMPT   two raw generations and a reset
 * Output: one "key value ..." line per fact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"
#include "platform.h"
#include "harness_file.h"

struct stopper {
    int pieces, polls;     /* calls with text, and without */
    int stop_piece, stop_poll;
};

static int count_and_stop(void *user, const char *text, size_t len)
{
    struct stopper *s = user;
    (void)text;
    if (len == 0)
        return ++s->polls == s->stop_poll;
    return ++s->pieces == s->stop_piece;
}

static void print_ids(const char *label, const int32_t *ids, uint32_t n)
{
    printf("%s", label);
    for (uint32_t i = 0; i < n; i++)
        printf(" %ld", (long)ids[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: session_harness MODEL stop|stop-prompt K PROMPT | repeat PROMPT\n");
        return 2;
    }
    size_t size;
    void *data = harness_read_file(argv[1], &size);
    if (!data)
        return 2;
    char err[256];
    llm_model *m = llm_load(data, (size_t)size, NULL, 0, err, sizeof err);
    struct llm_settings set;
    llm_settings_default(&set);
    set.sampling.temperature = 0;
    set.max_tokens = 40;
    set.ctx = 256;
    llm_session *s = m ? llm_session_create(m, &set, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct llm_result r;
    if ((!strcmp(argv[2], "stop") || !strcmp(argv[2], "stop-prompt")) && argc == 5) {
        int in_prompt = !strcmp(argv[2], "stop-prompt");
        struct stopper st = { 0, 0, in_prompt ? 0 : atoi(argv[3]), in_prompt ? atoi(argv[3]) : 0 };
        if (llm_generate(s, argv[4], strlen(argv[4]), count_and_stop, &st, &r, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("stop %d\npieces %d\npolls %d\ngenerated %u\npos %u\n", (int)r.stop, st.pieces, st.polls,
               r.n_gen_ids, llm_session_pos(s));
        if (in_prompt) {
            if (llm_generate(s, argv[4], strlen(argv[4]), NULL, NULL, &r, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            print_ids("ids", r.gen_ids, r.n_gen_ids);
        }
    } else if (!strcmp(argv[2], "repeat")) {
        for (int i = 0; i < 2; i++) {
            if (llm_generate(s, argv[3], strlen(argv[3]), NULL, NULL, &r, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            print_ids("ids", r.gen_ids, r.n_gen_ids);
            printf("pos %u\n", llm_session_pos(s));
        }
        llm_session_reset(s);
        printf("pos %u\n", llm_session_pos(s));
    } else {
        return 2;
    }
    llm_session_free(s);
    llm_model_free(m);
    llm_free(data);
    return 0;
}
