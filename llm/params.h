/* params.h: the engine's limits and fixed sizes, each in one place (as xv6's
 * param.h). A model, tokenizer or session beyond a limit is refused with a
 * clear error; nothing is silently truncated. Include it from any part. */
#ifndef LLM_PARAMS_H
#define LLM_PARAMS_H

/* Model shape: larger values mean a damaged or unsupported file. */
#define LLM_MAX_LAYERS 256u
#define LLM_MAX_DIM 16384u        /* also n_heads * head_dim */
#define LLM_MAX_HIDDEN 65536u
#define LLM_MAX_HEADS 256u
#define LLM_MAX_VOCAB (1u << 20)  /* model, tokenizer and sampler alike */
#define LLM_MAX_MERGES (1u << 24) /* BPE merge rules */

/* Sessions: context positions and new tokens per call. */
#define LLM_MAX_CTX (1u << 20)
#define LLM_MAX_NEW_TOKENS (1u << 20)
#define LLM_MAX_TURNS 1024u       /* chat turns remembered for dropping the oldest */

/* End of generation: ids that stop a reply (end-of-sequence, end-of-turn and
 * the like), and of those the ones a chat template names as ending a turn. */
#define LLM_MAX_EOG 8
#define LLM_MAX_EOT 4
/* Longest default system prompt taken from a chat template. */
#define LLM_MAX_SYSTEM_DEFAULT 512

/* Tokens evaluated together: a prompt goes through the layers in batches of
 * this many (and Ctrl+C is polled between batches). */
#define LLM_BATCH 16u

/* LoRA adapters: the largest rank, and the longest training chunk (its
 * attention weights are train_ctx^2 per head and layer). */
#define LLM_LORA_MAX_RANK 256u
#define LLM_TRAIN_MAX_CTX 4096u

/* Loading: the first bytes of a GGUF file read for its header (the rest of
 * a long header is read as the parser asks), and the most bytes of a
 * tensor read at once while it is repacked or digested (a streamed load
 * holds a few such parts: formats/weights.c). */
#define LLM_HEADER_FIRST_READ 65536u
#define LLM_LOAD_CHUNK (512u << 10)
/* The most read at once into a final place (a kept tensor, prepared
 * weights): each part's digest is taken in while the next part is read, so
 * a big tensor read whole would leave its digest to after the reading;
 * under emulation a read costs less per byte the larger it is. */
#define LLM_READ_PART (4u << 20)

/* Time each kernel variant gets on the test matrix when the kernels are
 * chosen (once per boot or process). */
#define LLM_SELECT_BUDGET_MS 3u

#endif
