/* model_header.h: what a model file is, from its header alone: enough for the
 * `models` listing and for the memory check before a load, without reading
 * the weights. GGUF metadata is parsed as a stream through the filesystem
 * (the tokenizer's arrays are skipped, not kept); a llama2.c .bin has a
 * 28-byte header whose shape must match the file size. */
#ifndef AI_MODEL_HEADER_H
#define AI_MODEL_HEADER_H
#include <stddef.h>
#include <stdint.h>

struct model_header {
    char format[8];      /* "gguf" or "llama2c" */
    char arch[24];
    char quant[12];      /* the type holding most weights, e.g. "Q4_1" */
    uint64_t n_params;
    uint32_t n_layers, dim, hidden_dim, n_heads, n_kv_heads, n_vocab, ctx_train;
    uint32_t file_size;
    uint32_t alignment;  /* GGUF: of the tensor data */
    uint64_t quant_matrix_bytes; /* GGUF: block-quantized weight matrices */
};

/* 0, or -1 with one line in err naming what is wrong with the file. */
int model_header_read(const char *path, struct model_header *h, char *err, size_t errlen);

/* "98.4 MB": a file size in decimal megabytes, rounded to one decimal. */
void model_format_size(char *buf, size_t n, uint64_t bytes);

/* Bytes of the KV cache (16-bit integers) for `ctx` positions. */
uint64_t model_header_kv_bytes(const struct model_header *h, uint32_t ctx);

#endif
