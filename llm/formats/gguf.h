/* gguf.h: a validating reader for GGUF v2/v3 files held in memory.
 *
 * gguf_open checks the whole header up front: every string length, array
 * count, tensor dimension and data offset is bounded by the file size before
 * anything is used, so later lookups cannot read outside the buffer. Nothing
 * is copied: keys, strings and tensor data point into the file bytes.
 */
#ifndef LLM_GGUF_H
#define LLM_GGUF_H

#include <stddef.h>
#include <stdint.h>

enum gguf_vtype {
    GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3,
    GGUF_UINT32 = 4, GGUF_INT32 = 5, GGUF_FLOAT32 = 6, GGUF_BOOL = 7,
    GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_UINT64 = 10, GGUF_INT64 = 11,
    GGUF_FLOAT64 = 12, GGUF_VTYPE_COUNT
};

/* A string inside the file: not NUL-terminated. */
struct gguf_str {
    const char *ptr;
    uint32_t len;
};

struct gguf_kv {
    struct gguf_str key;
    uint32_t type;          /* enum gguf_vtype */
    uint32_t arr_type;      /* element type when type == GGUF_ARRAY */
    uint32_t arr_count;     /* element count when type == GGUF_ARRAY */
    const uint8_t *value;   /* the value's bytes (for arrays: the first element) */
};

#define GGUF_MAX_DIMS 4

struct gguf_tensor {
    struct gguf_str name;
    uint32_t type;                    /* ggml type id (quant.h) */
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS];       /* ne[0] = row length; unused dims are 1 */
    uint64_t n_elements;
    uint64_t n_bytes;
    const uint8_t *data;              /* checked: data + n_bytes is inside the file; NULL
                                       * when outside the bytes given to gguf_open_header */
    uint64_t offset;                  /* of the data in the file */
};

struct gguf_file {
    uint32_t version;
    uint32_t alignment;
    uint32_t n_kv;
    uint32_t n_tensors;
    uint64_t data_start;              /* where the tensor data begins: the header's end */
    struct gguf_kv *kv;               /* llm_alloc'd */
    struct gguf_tensor *tensors;      /* llm_alloc'd */
};

/* Parses and validates; 0 on success, -1 with `err` set. Tensor types must
 * be ones quant.h knows (others are named in the error). */
int gguf_open(struct gguf_file *f, const void *data, size_t size, char *err, size_t errlen);
/* The same for a file of file_size bytes of which only the first `size` are
 * at data (the header probe): counts and offsets are checked against
 * file_size, tensors whose data lies past `size` get data NULL. When the
 * header itself runs past `size`, -1 with *need (if not NULL) set to the
 * bytes that would let parsing go further; otherwise *need is 0. */
int gguf_open_header(struct gguf_file *f, const void *data, size_t size, uint64_t file_size, uint64_t *need,
                     char *err, size_t errlen);
/* How many first bytes to give gguf_open_header next when it asked for
 * `need` after being given `len`: at least half as many again, so that a
 * long header takes few rounds (the parse's `need` already covers the rest
 * of a long array; the header probe and the loader read alike, so the
 * probe knows what the loader will hold). */
uint64_t gguf_header_next_read(uint64_t need, uint64_t len, uint64_t file_size);
void gguf_close(struct gguf_file *f);
/* Bytes gguf_open allocates for n_kv pairs and n_tensors tensor infos (freed
 * by gguf_close). */
size_t gguf_header_bytes(uint32_t n_kv, uint32_t n_tensors);

const struct gguf_kv *gguf_find(const struct gguf_file *f, const char *key);
const struct gguf_tensor *gguf_find_tensor(const struct gguf_file *f, const char *name);

/* Typed getters: 0 and *out set when the key exists with a compatible scalar
 * type (any integer type in range for u32, float32/float64 for f32), -1
 * otherwise. */
int gguf_get_u32(const struct gguf_file *f, const char *key, uint32_t *out);
int gguf_get_f32(const struct gguf_file *f, const char *key, float *out);
int gguf_get_bool(const struct gguf_file *f, const char *key, int *out);
int gguf_get_str(const struct gguf_file *f, const char *key, struct gguf_str *out);
/* Array of `type` elements: 0 with *kv set when present and of that type. */
int gguf_get_array(const struct gguf_file *f, const char *key, uint32_t type,
                   const struct gguf_kv **kv);

/* Reads the strings of a (validated) string array into out[0..count). */
void gguf_array_strings(const struct gguf_kv *kv, struct gguf_str *out);

/* Sum and maximum of the string lengths of a (validated) string array. */
void gguf_array_string_stats(const struct gguf_kv *kv, uint64_t *total, uint32_t *longest);

/* Equality of a file string with a C string. */
int gguf_str_eq(struct gguf_str s, const char *c);

#endif
