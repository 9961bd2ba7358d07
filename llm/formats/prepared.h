/* prepared.h: the prepared-weights file: a model's repacked matrices
 * (matmul/repack.h) and its tokenizer's lookup tables saved for later
 * loads, which then read them instead of repacking and building (under
 * emulation repacking costs many times the reading).
 *
 * Little-endian, every field checked before use:
 *   header (PREPARED_HEADER_BYTES): the magic "MYOSPREP", PREPARED_VERSION,
 *     the number of matrices, the model file's size and digest (of every
 *     byte a load uses, formats/weights.h), this file's own size;
 *   per matrix, in model_for_each_matrix's order: its format, rows and
 *     columns (PREPARED_RECORD_BYTES), then its arrays (rq_arrays);
 *   the tokenizer's tables (tok_tables: their sizes follow from the
 *     vocabulary and merge counts; none without a tokenizer);
 *   the digest of everything before it (DIGEST_BYTES).
 * Its bytes depend only on the model file: the repacking is one exact
 * recipe, whichever kernel variants a machine chose. A file that does not
 * match the model, or is damaged or cut, is refused with one line saying
 * why, and the load prepares the weights itself.
 */
#ifndef LLM_PREPARED_H
#define LLM_PREPARED_H

#include <stddef.h>
#include <stdint.h>

#include "llm.h"

/* Bumped whenever the layouts of repack.h, the values its recipe gives,
 * the digest or this format change: older files are then refused as another
 * version (2: rows of subnormal scales repack as zero; 3: digest.h's
 * multiply-xorshift steps; 4: RQ_Q6 scales hold dq alone; 5: the
 * tokenizer's tables). */
#define PREPARED_VERSION 5u
#define PREPARED_HEADER_BYTES 64u
#define PREPARED_RECORD_BYTES 16u

struct llm_model;

/* The checks that need no digest: whether f can be m's prepared weights
 * (magic, version, the model file's size, the matrix count and this
 * file's size for m's shapes): 0, or -1 with the reason in note. */
int prepared_check_header(const struct llm_model *m, const struct llm_file *f, char *note, size_t notelen);
/* Reads f's matrices into m (m->source_* set: the model file was read),
 * and the tokenizer's tables into its places (a deferred tokenizer's: see
 * tok_create_bpe): 0, or -1 with the reason in note and m's repacked
 * matrices freed (the tables' places may then hold anything). */
int prepared_read(struct llm_model *m, const struct llm_file *f, const struct llm_cancel *cancel, char *note,
                  size_t notelen);
/* The file for m (loaded, its matrices repacked): 0, or -1 with err set. */
int prepared_write(const struct llm_model *m, const struct llm_sink *out, char *err, size_t errlen);
uint64_t prepared_size(const struct llm_model *m);

#endif
