/* hashes.h: the recorded SHA-256 of the model files, read from
 * /MODELS/SHA256.TXT (written by the image builder from the host's model
 * catalogue, `sha256sum` format: "HASH  NAME" lines). The file can be
 * edited by anyone, so every line that is not such a record is reported
 * and skipped. */
#ifndef AI_HASHES_H
#define AI_HASHES_H

#include <stdint.h>
#include "ai/settings.h"

#define AI_HASHES_FILE "SHA256.TXT"         /* in AI_MODELS_DIR */
#define AI_HASHES_MAX 64                    /* records kept; more are reported */
#define AI_HASHES_FILE_MAX (64u << 10)      /* a larger file is refused */

struct ai_hash_record {
    char name[AI_MODEL_NAME_MAX];
    uint8_t sha256[32];
};

struct ai_hashes {
    int count;
    struct ai_hash_record records[AI_HASHES_MAX];
};

/* Fills `h` from the hashes file, printing one line per problem (a missing
 * or unreadable file, a malformed line); `h` is then empty or holds the
 * records that were well formed. */
void ai_hashes_load(struct ai_hashes *h);

/* Parses `size` bytes of `sha256sum` text into `h`, printing one
 * "SHA256.TXT line N: ..." line for every line that is not a record. */
void ai_hashes_parse(struct ai_hashes *h, const char *text, uint32_t size);

/* The recorded hash of file `name` of /MODELS, or NULL when there is none. */
const uint8_t *ai_hashes_find(const struct ai_hashes *h, const char *name);

#endif
