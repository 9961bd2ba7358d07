/* llm.h: the inference engine's public API.
 *
 * The kernel's `ai` command and the host program build/host/myos-llm use only
 * this header. A model is loaded from its file (a GGUF file, or a llama2.c
 * .bin plus an optional tokenizer.bin), which the engine reads itself a part
 * at a time through struct llm_file, or from bytes already in memory, which
 * it then uses in place (they must stay alive, unchanged, until
 * llm_model_free, and should be 32-byte aligned).
 *
 * A session holds the KV cache and the conversation; it generates text through
 * a streaming callback and reports timing. Every function that can fail takes
 * an error buffer and writes one clear line into it.
 */
#ifndef LLM_LLM_H
#define LLM_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "cancel.h"
#include "settings.h"

typedef struct llm_model llm_model;
typedef struct llm_session llm_session;

struct llm_model_info {
    char format[8];       /* "gguf" or "llama2c" */
    char arch[24];        /* "llama", "qwen2", "gemma3" (llm/arch.h) */
    char name[64];        /* general.name, or "" */
    char quant[16];       /* tensor type holding most weight bytes, e.g. "Q4_1" */
    uint32_t n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim, rope_dim;
    uint32_t n_vocab;     /* rows of the output matrix */
    uint32_t ctx_train;   /* context length the model was trained with */
    float rope_base, rms_eps;
    uint32_t sliding_window;  /* positions a windowed layer sees, 0: none */
    uint32_t swa_period;      /* layer l is windowed when l % period < period - 1 */
    float rope_base_swa;      /* the windowed layers' rope base */
    uint64_t n_params;
    uint64_t weight_bytes;
    int tied_output;      /* the output matrix is the token embedding */
    int has_tokenizer;    /* text in/out possible (else token ids only) */
    int has_chat_template;
};

/* A file the engine reads: `bytes` when the whole file is in memory (used in
 * place), else read(ctx, offset, buf, len) fills buf with the len bytes at
 * offset (offset + len <= size): 0, or -1 with one line in err. */
struct llm_file {
    uint64_t size;
    const void *bytes;
    int (*read)(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errlen);
    void *ctx;
};

/* What a load reads besides the model file, and what it found. */
struct llm_load_options {
    const struct llm_file *tokenizer; /* a llama2.c model's tokenizer.bin, or NULL */
    const struct llm_file *prepared;  /* prepared weights (llm_save_prepared) to use, or NULL */
    const struct llm_cancel *cancel;  /* polled while preparing; NULL: never stops */
    /* Keep every matrix's bytes as in the file beside its repacked copy
     * (training dequantizes them row by row); always so for bytes in memory. */
    int keep_file_weights;
    /* The GGUF header's length when known (llm_probe's header_bytes): read
     * in one go, not in growing parts each parsed from the start as the
     * parser asks (0: unknown). */
    uint64_t header_bytes;
    /* Out: 1 when the prepared weights were used; otherwise, when some were
     * given, why not in one line ("prepared weights ...: stale, rebuilt"). */
    int prepared_used;
    char prepared_note[160];
};

/* Loads a model from its file. Tensors are read one at a time in file
 * order: the ones the forward pass uses as they are in the file (the token
 * embedding, read row by row; matrices of types that are not repacked) go
 * to their final place, the norms become floats, and every other matrix is
 * repacked (matmul/repack.h) a part at a time as it is read, or taken from
 * `prepared` when that file was made from this model file (its size and
 * the digest of every byte the load uses): memory then holds the model and
 * a part of one tensor, never the file beside its repacked copy. A
 * prepared file that does not match, or is damaged, is ignored (said in
 * prepared_note) and the weights are prepared from the model file. Once
 * `cancel` asks to stop, everything allocated is freed and the result is
 * NULL with err LLM_CANCELLED (the kernel choice tuned on the model's
 * matrices then stays what it was). NULL with err set on error. */
llm_model *llm_load_file(const struct llm_file *model, struct llm_load_options *opt, char *err, size_t errlen);

/* llm_load_file of bytes in memory. tok_data/tok_size: llama2.c
 * tokenizer.bin bytes, or NULL/0 (ignored for GGUF, which carries its
 * tokenizer). NULL on error. */
llm_model *llm_load(const void *data, size_t size, const void *tok_data, size_t tok_size,
                    char *err, size_t errlen);
void llm_model_free(llm_model *m);

/* Where llm_save_prepared writes: write(ctx, buf, len) appends len bytes;
 * 0, or -1 with one line in err. */
struct llm_sink {
    int (*write)(void *ctx, const void *buf, size_t len, char *err, size_t errlen);
    void *ctx;
};
/* Writes a loaded model's prepared weights (its repacked matrices, keyed by
 * the identity of the file they came from) for later loads to use
 * (llm_load_options.prepared): the same bytes on every machine, whichever
 * kernels it chose. 0, or -1 with err set. */
int llm_save_prepared(const llm_model *m, const struct llm_sink *out, char *err, size_t errlen);
/* The bytes llm_save_prepared writes for m. */
uint64_t llm_prepared_size(const llm_model *m);
void llm_model_get_info(const llm_model *m, struct llm_model_info *out);

/* Sampler settings, llama.cpp's meaning. temperature 0 = greedy (lowest id on
 * ties); top_k 0, top_p 1, min_p 0, repeat_penalty 1 disable those stages. */
struct llm_sampling {
    float temperature;
    int32_t top_k;
    float top_p;
    float min_p;
    float repeat_penalty;
    int32_t repeat_last_n;
    uint64_t seed;
};

struct llm_settings {
    struct llm_sampling sampling;
    int32_t max_tokens;        /* new tokens per llm_generate call */
    int32_t ctx;               /* context length; KV cache sized for it up front */
    int chat;                  /* 1: wrap prompts in the model's chat template */
    const char *system_prompt; /* chat only; NULL = the template's default */
};

/* The defaults of llm_session_settings (settings.h), llama.cpp's: temp 0.8,
 * top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1.0 over 64 tokens, seed
 * 0; 256 tokens; ctx 2048; raw completion. */
void llm_settings_default(struct llm_settings *s);

/* 0 when every value is within its row's range of llm_session_settings,
 * else -1 with err naming the first one that is not. */
int llm_settings_check(const struct llm_settings *s, char *err, size_t errlen);

/* Bytes of KV cache (with its scratch) a session of this shape and context
 * allocates. */
uint64_t llm_kv_cache_bytes(uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim);

/* What a model file is, from its header alone. */
struct llm_probe {
    struct llm_model_info info; /* n_params and weight_bytes over every tensor of the file */
    uint64_t file_size;
    uint32_t version, alignment, n_kv, n_tensors; /* GGUF's; 0 for llama2.c */
    char quant_mix[96];         /* tensors per type, in type order: "F32:61 Q4_1:182 Q8_0:30" */
    /* For llm_memory_needed: what the loader will allocate. */
    uint64_t table_bytes;       /* the model's tables and its tokenizer */
    uint64_t packed_bytes;      /* the repacked matrices */
    uint64_t kept_bytes;        /* tensors kept as they are in the file (llama2.c: the whole file) */
    uint64_t repacked_file_bytes; /* the repacked matrices as they are in the file */
    uint64_t load_bytes;        /* held only while loading (the header and its index, string lists,
                                 * the parts of a tensor being read); the header as the probe read
                                 * it (the first LLM_HEADER_FIRST_READ bytes, then what it asked
                                 * for), which is at least what the loader reads */
    uint32_t max_piece_bytes;   /* longest token text */
    uint64_t header_bytes;      /* GGUF: where the tensor data starts (the header and its padding) */
};

/* Reads a model file's header from its first len bytes (of file_size in
 * all): every offset and count is checked against file_size. Returns 0
 * with *p filled; 1 when the header runs past those bytes (call again with
 * the first *need bytes); -1 with one line in err ("empty file", "damaged
 * header: ...", "truncated (or damaged): ...", an unsupported type or
 * architecture: what llm_load would refuse before reading the weights). */
int llm_probe(const void *head, size_t len, uint64_t file_size, struct llm_probe *p, uint64_t *need, char *err,
              size_t errlen);

/* The memory a load of the probed model and a session of `ctx` positions
 * and max_tokens new tokens (not -1: the caller gives ctx then) allocate, computed from the sizes the loader
 * and the session allocate with. tok_file_size: a llama2.c model's
 * tokenizer.bin (0 for GGUF). */
struct llm_memory {
    uint64_t file;     /* the file's tensors kept as they are (tokenizer.bin while it is read) */
    uint64_t tables;   /* layers, norms, tokenizer */
    uint64_t packed;   /* the repacked matrices and the kernels' buffers */
    uint64_t kv_cache; /* the KV cache and its scratch */
    uint64_t work;     /* the session's buffers and what loading holds for a while */
    uint64_t select;   /* choosing the kernels, at the first load only (freed before the model is read) */
    uint64_t file_weights; /* what llm_load_options.keep_file_weights adds (not in total) */
    uint64_t total;    /* the larger of select and file + tables + packed + kv_cache + work */
};
void llm_memory_needed(const struct llm_probe *p, uint32_t ctx, uint32_t max_tokens, uint64_t tok_file_size,
                       struct llm_memory *out);

/* The settings must pass llm_settings_check; max_tokens and repeat_last_n
 * -1 stand for the context length. The KV cache for ctx positions is
 * allocated here: a clear error if memory does not suffice. */
llm_session *llm_session_create(llm_model *m, const struct llm_settings *s,
                                char *err, size_t errlen);
void llm_session_free(llm_session *s);
/* Forgets the conversation and empties the KV cache. */
void llm_session_reset(llm_session *s);

/* Receives each decoded piece of text (complete UTF-8 sequences). Returning
 * nonzero asks generation to stop (Ctrl+C). While a prompt is evaluated it
 * is also called with len 0 between batches of tokens: stopping then
 * forgets the prompt (the session is as before the call, with
 * LLM_STOP_CALLBACK and no tokens generated). */
typedef int (*llm_emit_fn)(void *user, const char *text, size_t len);

enum llm_stop_reason {
    LLM_STOP_EOS = 1,   /* end-of-sequence / end-of-turn token generated */
    LLM_STOP_LIMIT,     /* max_tokens reached */
    LLM_STOP_CALLBACK,  /* the emit callback asked to stop */
    LLM_STOP_CONTEXT,   /* the context is full and cannot be shifted further */
    LLM_STOP_ERROR
};

struct llm_result {
    enum llm_stop_reason stop;
    uint32_t prompt_tokens;    /* tokens evaluated for this call's prompt */
    uint64_t prompt_ns;
    uint32_t gen_tokens;       /* tokens sampled (incl. a final end-of-turn) */
    uint64_t gen_ns;
    /* Ids of this call, valid until the next call on the session. */
    const int32_t *prompt_ids;
    uint32_t n_prompt_ids;
    const int32_t *gen_ids;
    uint32_t n_gen_ids;
};

/* Generates a reply. Raw mode: the session is reset and `prompt` is completed
 * (BOS first when the model wants it). Chat mode: `prompt` is one new user
 * turn appended to the conversation (the system prompt first time), the KV
 * cache is reused; when the context fills, the oldest turns are dropped and
 * the system prompt kept. Returns 0, or -1 with `err` set. */
int llm_generate(llm_session *s, const char *prompt, size_t len, llm_emit_fn emit, void *user,
                 struct llm_result *res, char *err, size_t errlen);

/* One turn of a whole conversation given at once (the OpenAI API's
 * `messages`). */
enum llm_role { LLM_ROLE_SYSTEM = 0, LLM_ROLE_USER, LLM_ROLE_ASSISTANT };
struct llm_message {
    enum llm_role role;
    const char *text;
    size_t len;
};

/* Generates the assistant's reply to a whole conversation: the session is
 * reset, the messages are rendered with the model's chat template (the
 * session's system prompt first when they hold no system message) and end
 * with the opening of the assistant's turn. Text never becomes control
 * tokens. Needs a session in chat mode. Returns 0, or -1 with `err` set. */
int llm_generate_chat(llm_session *s, const struct llm_message *msgs, int n_msgs, llm_emit_fn emit, void *user,
                      struct llm_result *res, char *err, size_t errlen);

/* Raw completion of `prompt` whatever the session's mode: the session is
 * reset and the text completed (BOS first when the model wants it). */
int llm_generate_raw(llm_session *s, const char *prompt, size_t len, llm_emit_fn emit, void *user,
                     struct llm_result *res, char *err, size_t errlen);

/* Replaces the sampler settings and the token limit of a session (e.g. per
 * API request) without touching its KV cache allocation; the values must pass
 * llm_settings_check (-1 as in llm_session_create). Returns 0, or -1 with
 * `err` set (out of range, out of memory). */
int llm_session_set_sampling(llm_session *s, const struct llm_sampling *p, int32_t max_tokens, char *err,
                             size_t errlen);

/* Same for a raw prompt given as token ids (models without a tokenizer emit
 * nothing as text; the ids are in the result). */
int llm_generate_ids(llm_session *s, const int32_t *ids, uint32_t n, llm_emit_fn emit, void *user,
                     struct llm_result *res, char *err, size_t errlen);

/* Plain-text tokenization with the model's tokenizer (never control tokens).
 * Returns the count, or -1 with `err` set (no tokenizer, does not fit). */
int llm_tokenize(const llm_model *m, const char *text, size_t len, int add_bos, int32_t *ids,
                 uint32_t max_ids, char *err, size_t errlen);

/* Low level, for tests and tools: appends `n` tokens at the session's current
 * position and returns the logits after the last one (n_vocab floats, valid
 * until the next call), or NULL with `err` set (bad id, context full). */
const float *llm_eval(llm_session *s, const int32_t *ids, uint32_t n, char *err, size_t errlen);
/* Number of positions in the KV cache now, and its capacity. */
uint32_t llm_session_pos(const llm_session *s);
uint32_t llm_session_ctx(const llm_session *s);

#endif
