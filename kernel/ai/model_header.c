/* model_header.c: reads a model file's header through the filesystem, in
 * chunks, never the weights. GGUF: the key/value metadata (skipping what the
 * listing does not need, e.g. the tokenizer's 49k strings) and the tensor
 * table, every length checked against the file size. llama2.c: the 7-integer
 * header, checked against the file size. */
#include "ai/model_header.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "llm.h"

#define CHUNK 16384
#define KEY_MAX 256
#define ITEMS_MAX 1000000u  /* keys or tensors; more means a damaged header */
#define LLAMA2C_HEADER 28

enum { T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY, T_U64, T_I64, T_F64, T_COUNT };
static const uint8_t scalar_bytes[T_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

/* ggml tensor types by id (the GGUF specification's numbering): name, and
 * bytes per block of `block` values, to find where the tensor data ends. */
static const struct { const char *name; uint16_t block, bytes; } types[] = {
    { "F32", 1, 4 }, { "F16", 1, 2 }, { "Q4_0", 32, 18 }, { "Q4_1", 32, 20 }, { NULL, 0, 0 },
    { NULL, 0, 0 }, { "Q5_0", 32, 22 }, { "Q5_1", 32, 24 }, { "Q8_0", 32, 34 }, { "Q8_1", 32, 36 },
    { "Q2_K", 256, 84 }, { "Q3_K", 256, 110 }, { "Q4_K", 256, 144 }, { "Q5_K", 256, 176 },
    { "Q6_K", 256, 210 }, { "Q8_K", 256, 292 }, { "IQ2_XXS", 256, 66 }, { "IQ2_XS", 256, 74 },
    { "IQ3_XXS", 256, 98 }, { "IQ1_S", 256, 50 }, { "IQ4_NL", 32, 18 }, { "IQ3_S", 256, 110 },
    { "IQ2_S", 256, 82 }, { "IQ4_XS", 256, 136 }, { "I8", 1, 1 }, { "I16", 1, 2 }, { "I32", 1, 4 },
    { "I64", 1, 8 }, { "F64", 1, 8 }, { "IQ1_M", 256, 56 }, { "BF16", 1, 2 },
};
#define N_TYPES (sizeof types / sizeof types[0])

struct reader {
    struct fs_file *f;
    uint32_t size;     /* file size */
    uint32_t at;       /* file offset of buf[0] */
    uint32_t pos, len; /* consumed and filled bytes of buf */
    const char *fail;  /* first problem met, or NULL */
    uint8_t buf[CHUNK];
};

static void fail(struct reader *r, const char *why)
{
    if (!r->fail)
        r->fail = why;
}

static void get(struct reader *r, void *out, uint32_t n)
{
    uint8_t *o = out;
    while (n && !r->fail) {
        if (r->pos == r->len) {
            r->at += r->len;
            long got = fs_read(r->f, r->buf, CHUNK);
            if (got < 0) {
                fail(r, fs_error_message((int)got));
                break;
            }
            if (got == 0) {
                fail(r, "header runs past the end of the file (truncated?)");
                break;
            }
            r->pos = 0;
            r->len = (uint32_t)got;
        }
        uint32_t k = r->len - r->pos < n ? r->len - r->pos : n;
        memcpy(o, r->buf + r->pos, k);
        r->pos += k;
        o += k;
        n -= k;
    }
    if (r->fail)
        memset(o, 0, n);
}

static void skip(struct reader *r, uint64_t n)
{
    if (r->fail)
        return;
    if (n <= r->len - r->pos) {
        r->pos += (uint32_t)n;
        return;
    }
    uint64_t target = (uint64_t)r->at + r->pos + n;
    if (target > r->size) {
        fail(r, "header runs past the end of the file (truncated?)");
        return;
    }
    int rc = fs_seek(r->f, (uint32_t)target);
    if (rc < 0)
        fail(r, fs_error_message(rc));
    r->at = (uint32_t)target;
    r->pos = r->len = 0;
}

static uint32_t get_u32(struct reader *r)
{
    uint32_t v;
    get(r, &v, 4);
    return v;
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t v;
    get(r, &v, 8);
    return v;
}

/* A GGUF string into out (NUL-terminated, at most cap-1 bytes kept; longer
 * ones are skipped past and come back truncated). */
static void get_string(struct reader *r, char *out, uint32_t cap)
{
    uint64_t len = get_u64(r);
    if (len > r->size) {
        fail(r, "damaged header: a string is longer than the file");
        len = 0;
    }
    uint32_t keep = len < cap - 1 ? (uint32_t)len : cap - 1;
    get(r, out, keep);
    out[r->fail ? 0 : keep] = 0;
    skip(r, len - keep);
}

/* Skips one value of `type`; arrays may nest once. */
static void skip_value(struct reader *r, uint32_t type, int depth)
{
    if (type < T_COUNT && scalar_bytes[type]) {
        skip(r, scalar_bytes[type]);
    } else if (type == T_STRING) {
        uint64_t len = get_u64(r);
        if (len > r->size)
            fail(r, "damaged header: a string is longer than the file");
        else
            skip(r, len);
    } else if (type == T_ARRAY && depth < 2) {
        uint32_t etype = get_u32(r);
        uint64_t count = get_u64(r);
        if (count > r->size) {
            fail(r, "damaged header: an array is longer than the file");
        } else if (etype < T_COUNT && scalar_bytes[etype]) {
            skip(r, count * scalar_bytes[etype]);
        } else {
            for (uint64_t i = 0; i < count && !r->fail; i++)
                skip_value(r, etype, depth + 1);
        }
    } else {
        fail(r, "damaged header: unknown metadata value type");
    }
}

/* An integer value of any integer type; -1 (and skipped) for other types. */
static int64_t get_int(struct reader *r, uint32_t type)
{
    switch (type) {
    case T_U8: { uint8_t v; get(r, &v, 1); return v; }
    case T_I8: { int8_t v; get(r, &v, 1); return v; }
    case T_U16: { uint16_t v; get(r, &v, 2); return v; }
    case T_I16: { int16_t v; get(r, &v, 2); return v; }
    case T_U32: return get_u32(r);
    case T_I32: return (int32_t)get_u32(r);
    case T_U64: case T_I64: return (int64_t)get_u64(r);
    default: skip_value(r, type, 0); return -1;
    }
}

static uint32_t clamp_u32(int64_t v)
{
    return v < 0 ? 0 : v > 0x7fffffff ? 0x7fffffff : (uint32_t)v;
}

/* One metadata pair: keeps the architecture, the shape and the vocabulary size. */
static void read_kv(struct reader *r, struct model_header *h)
{
    char key[KEY_MAX];
    get_string(r, key, sizeof key);
    uint32_t type = get_u32(r);
    if (r->fail)
        return;
    if (!strcmp(key, "general.alignment")) {
        h->alignment = clamp_u32(get_int(r, type));
        return;
    }
    if (!strcmp(key, "general.architecture") && type == T_STRING) {
        get_string(r, h->arch, sizeof h->arch);
        return;
    }
    if (!strcmp(key, "tokenizer.ggml.tokens") && type == T_ARRAY) {
        uint32_t etype = get_u32(r);
        uint64_t count = get_u64(r);
        h->n_vocab = clamp_u32((int64_t)(count > ITEMS_MAX ? ITEMS_MAX : count));
        for (uint64_t i = 0; i < count && !r->fail; i++)
            skip_value(r, etype, 1);
        return;
    }
    /* "<arch>.<field>": the shape, whatever the architecture is called. */
    const char *field = strchr(key, '.');
    static const struct { const char *name; size_t offset; } shape[] = {
        { "block_count", offsetof(struct model_header, n_layers) },
        { "embedding_length", offsetof(struct model_header, dim) },
        { "feed_forward_length", offsetof(struct model_header, hidden_dim) },
        { "attention.head_count", offsetof(struct model_header, n_heads) },
        { "attention.head_count_kv", offsetof(struct model_header, n_kv_heads) },
        { "context_length", offsetof(struct model_header, ctx_train) },
    };
    if (field && strncmp(key, "general.", 8) && strncmp(key, "tokenizer.", 10)) {
        for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++) {
            if (!strcmp(field + 1, shape[i].name)) {
                *(uint32_t *)((char *)h + shape[i].offset) = clamp_u32(get_int(r, type));
                return;
            }
        }
    }
    skip_value(r, type, 0);
}

/* The tensor table: parameter count, the type with the most weights, and
 * whether the file holds all the tensor data. */
static void read_tensors(struct reader *r, struct model_header *h, uint64_t n_tensors, uint32_t alignment)
{
    uint64_t elems_by_type[N_TYPES] = { 0 };
    uint64_t data_end = 0; /* relative to the start of the data section */
    for (uint64_t t = 0; t < n_tensors && !r->fail; t++) {
        char name[8];
        get_string(r, name, sizeof name);
        uint32_t n_dims = get_u32(r);
        if (n_dims == 0 || n_dims > 4) {
            fail(r, "damaged header: a tensor has a bad number of dimensions");
            return;
        }
        uint64_t elems = 1;
        for (uint32_t d = 0; d < n_dims; d++) {
            uint64_t ne = get_u64(r);
            if (ne == 0 || ne > ((uint64_t)1 << 40) || elems > ((uint64_t)1 << 40) / ne) {
                fail(r, "damaged header: a tensor has impossible dimensions");
                return;
            }
            elems *= ne;
        }
        uint32_t type = get_u32(r);
        uint64_t offset = get_u64(r);
        if (type >= N_TYPES || !types[type].name) {
            fail(r, "damaged header: unknown tensor type");
            return;
        }
        /* elems <= 2^40 and offsets are capped: no overflow; checked below. */
        uint64_t end = (offset < ((uint64_t)1 << 40) ? offset : ((uint64_t)1 << 40)) +
                       elems / types[type].block * types[type].bytes;
        if (end > data_end)
            data_end = end;
        h->n_params += elems;
        if (n_dims >= 2) { /* matrices, not norms */
            elems_by_type[type] += elems;
            if (types[type].block > 1)
                h->quant_matrix_bytes += elems / types[type].block * types[type].bytes;
        }
    }
    uint32_t best = 0;
    for (uint32_t t = 1; t < N_TYPES; t++)
        if (elems_by_type[t] > elems_by_type[best])
            best = t;
    snprintf(h->quant, sizeof h->quant, "%s", types[best].name);
    uint64_t header_end = (uint64_t)r->at + r->pos;
    uint64_t data_start = (header_end + alignment - 1) / alignment * alignment;
    if (!r->fail && data_start + data_end > r->size)
        fail(r, "truncated (or damaged): the tensor data runs past the end of the file");
}

static int read_gguf(struct reader *r, struct model_header *h, char *err, size_t errlen)
{
    get_u32(r); /* magic, checked by the caller */
    uint32_t version = get_u32(r);
    uint64_t n_tensors = get_u64(r), n_kv = get_u64(r);
    if (!r->fail && version != 2 && version != 3) {
        snprintf(err, errlen, "unsupported GGUF version %u (2 and 3 are)", (unsigned)version);
        return -1;
    }
    if (!r->fail && (n_tensors > ITEMS_MAX || n_kv > ITEMS_MAX))
        fail(r, "damaged header: impossible key or tensor count");
    snprintf(h->format, sizeof h->format, "gguf");
    h->alignment = 32; /* GGUF's default */
    for (uint64_t i = 0; i < n_kv && !r->fail; i++)
        read_kv(r, h);
    if (!r->fail && (h->alignment == 0 || (h->alignment & (h->alignment - 1))))
        fail(r, "damaged header: the data alignment is not a power of two");
    read_tensors(r, h, n_tensors, h->alignment);
    if (!r->fail && (!h->arch[0] || !h->n_layers || !h->dim || !h->n_heads))
        fail(r, "GGUF header lacks the architecture or the model shape");
    if (!h->n_kv_heads)
        h->n_kv_heads = h->n_heads;
    return 0;
}

static int read_llama2c(struct reader *r, struct model_header *h, char *err, size_t errlen)
{
    int32_t v[7];
    get(r, v, sizeof v);
    if (r->fail)
        return 0;
    int32_t vocab = v[5] < 0 ? -v[5] : v[5];
    for (int i = 0; i < 7; i++) {
        if (v[i] == 0 || (i != 5 && v[i] < 0) || v[i] > (1 << 20) || v[i] < -(1 << 20)) {
            snprintf(err, errlen, "not a model file: neither GGUF nor a llama2.c header");
            return -1;
        }
    }
    if (v[0] % v[3] || v[4] > v[3] || v[3] % v[4]) {
        snprintf(err, errlen, "not a model file: neither GGUF nor a llama2.c header");
        return -1;
    }
    uint64_t dim = (uint32_t)v[0], hid = (uint32_t)v[1], L = (uint32_t)v[2], head = dim / (uint32_t)v[3];
    uint64_t kv = (uint64_t)(uint32_t)v[4] * head, nv = (uint32_t)vocab;
    uint64_t weights = nv * dim + L * (2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * dim * hid) + dim +
                       (v[5] > 0 ? 0 : nv * dim);
    uint64_t floats = weights + (uint64_t)(uint32_t)v[6] * head; /* + the RoPE tables */
    if (LLAMA2C_HEADER + floats * 4 > r->size) {
        snprintf(err, errlen, "llama2.c model is shorter than its header says (truncated?)");
        return -1;
    }
    snprintf(h->format, sizeof h->format, "llama2c");
    snprintf(h->arch, sizeof h->arch, "llama");
    snprintf(h->quant, sizeof h->quant, "F32");
    h->dim = (uint32_t)dim;
    h->hidden_dim = (uint32_t)hid;
    h->n_layers = (uint32_t)L;
    h->n_heads = (uint32_t)v[3];
    h->n_kv_heads = (uint32_t)v[4];
    h->n_vocab = (uint32_t)nv;
    h->ctx_train = (uint32_t)v[6];
    h->n_params = weights;
    return 0;
}

int model_header_read(const char *path, struct model_header *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    struct reader *r = kmalloc(sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    memset(r, 0, offsetof(struct reader, buf));
    int rc = fs_open(path, FS_O_READ, &r->f);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, fs_error_message(rc));
        kfree(r);
        return -1;
    }
    r->size = h->file_size = fs_size(r->f);
    char magic[4];
    get(r, magic, 4);
    r->pos = 0; /* the magic is read again by the format's parser */
    if (!r->fail)
        rc = !memcmp(magic, "GGUF", 4) ? read_gguf(r, h, err, errlen) : read_llama2c(r, h, err, errlen);
    if (rc == 0 && r->fail) {
        snprintf(err, errlen, "%s", r->fail);
        rc = -1;
    }
    fs_close(r->f);
    kfree(r);
    return rc;
}

uint64_t model_header_kv_bytes(const struct model_header *h, uint32_t ctx)
{
    uint32_t head_dim = h->n_heads ? h->dim / h->n_heads : 0;
    return llm_kv_cache_bytes(h->n_layers, ctx, h->n_kv_heads, head_dim);
}

void model_format_size(char *buf, size_t n, uint64_t bytes)
{
    uint64_t mb10 = (bytes + 50000) / 100000;
    snprintf(buf, n, "%lu.%lu MB", (unsigned long)(mb10 / 10), (unsigned long)(mb10 % 10));
}
