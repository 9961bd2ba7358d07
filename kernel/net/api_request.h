/* api_request.h: the body of a /v1/chat/completions or /v1/completions
 * request, read and checked field by field into a job for the generation
 * queue. Ranges are those of the engine's settings table (llm/settings.h,
 * as `set` and myos-llm have them); absent parameters take the shell's
 * current settings. */
#ifndef NET_API_REQUEST_H
#define NET_API_REQUEST_H
#include <stddef.h>
#include <stdint.h>
#include "ai/settings.h"
#include "llm.h"
#include "net/json.h"

#define API_MAX_STOPS 4

struct api_job {
    int chat;                  /* chat completion (else raw completion) */
    int stream, include_usage;
    char model[AI_MODEL_NAME_MAX];
    struct llm_sampling sampling;
    int32_t max_tokens;
    struct llm_message *msgs;  /* chat */
    int n_msgs;
    const char *prompt;        /* completion */
    size_t prompt_len;
    const char *stop[API_MAX_STOPS];
    size_t stop_len[API_MAX_STOPS];
    int n_stop;
    /* memory the pointers above point into */
    struct json_value *nodes;
    char *text, *parts;
};

/* Fills *job from the body. Returns 0, or 400 with a message and the name
 * of the offending field (NULL when it is the body as a whole). */
int api_request_parse(struct api_job *job, int chat, const char *body, size_t len, char *msg, size_t msglen,
                      char *param, size_t paramlen);
void api_request_free(struct api_job *job);

#endif
