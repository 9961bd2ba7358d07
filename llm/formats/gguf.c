/* gguf.c: parses and validates a GGUF v2/v3 file held in memory.
 *
 * Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, the
 * metadata (u64-length strings, u32 value types, arrays of u32 type + u64
 * count), the tensor infos (name, u32 n_dims, u64 dims, u32 type, u64 offset),
 * padding to general.alignment, then the tensor data. Every count and length
 * comes from the file, so each one is bounded by the bytes that remain before
 * it is used or allocated for; 64-bit values are checked before they are
 * narrowed to size_t (32 bits in the kernel).
 */
#include "formats/gguf.h"
#include "bytes.h"

#include "platform.h"
#include "matmul/quant.h"

struct cursor {
    const uint8_t *base;
    size_t size;        /* bytes at base: the whole file, or its first part */
    size_t file_size;   /* what counts and lengths are bounded by */
    size_t pos;
    char *err;
    size_t errlen;
    int failed;
    uint64_t need;      /* a read went past `size` but not past the file */
    const char *const *prefix; /* loader_prefix or probe_prefix, by enum problem */
};

/* What kind of problem a message names, for its prefix: the loader says
 * "gguf: " for each; the header probe, reading a file not yet loaded, says
 * which kind (the OS's `models` listing shows it). */
enum problem { DAMAGED, TRUNCATED, UNSUPPORTED };
static const char *const loader_prefix[] = { "gguf: ", "gguf: ", "gguf: " };
static const char *const probe_prefix[] = { "damaged header: ", "truncated (or damaged): ", "" };

static int fail_as(struct cursor *c, enum problem kind, const char *what)
{
    if (!c->failed)
        snprintf(c->err, c->errlen, "%s%s (at byte %lu)", c->prefix[kind], what, (unsigned long)c->pos);
    c->failed = 1;
    return -1;
}

static int fail(struct cursor *c, const char *what)
{
    return fail_as(c, DAMAGED, what);
}

/* Bytes of the file after the cursor (not only of the part at hand). */
static size_t remaining(const struct cursor *c)
{
    return c->file_size - c->pos;
}

/* Advances over n bytes, returning where they start, or NULL (error set). */
static const uint8_t *take(struct cursor *c, uint64_t n, const char *what)
{
    if (c->failed)
        return NULL;
    if (n > (uint64_t)(c->size - c->pos) && n <= (uint64_t)remaining(c)) {
        /* Inside the file but past the bytes given: ask for more. */
        c->need = (uint64_t)c->pos + n;
        fail(c, "the header is longer than the bytes read");
        return NULL;
    }
    if (n > (uint64_t)remaining(c)) {
        char msg[96];
        snprintf(msg, sizeof msg, "the file ends inside %s", what);
        fail_as(c, TRUNCATED, msg);
        return NULL;
    }
    const uint8_t *p = c->base + c->pos;
    c->pos += (size_t)n;
    return p;
}

static uint32_t rd_u32(struct cursor *c, const char *what)
{
    const uint8_t *p = take(c, 4, what);
    return p ? le32(p) : 0;
}

static uint64_t rd_u64(struct cursor *c, const char *what)
{
    uint64_t lo = rd_u32(c, what);
    uint64_t hi = rd_u32(c, what);
    return lo | (hi << 32);
}

static struct gguf_str rd_str(struct cursor *c, const char *what)
{
    struct gguf_str s = { "", 0 };
    uint64_t len = rd_u64(c, what);
    if (c->failed)
        return s;
    if (len > 0xffffffffu) { /* also implies it cannot fit in the file */
        fail(c, "string length out of range");
        return s;
    }
    const uint8_t *p = take(c, len, what);
    if (p) {
        s.ptr = (const char *)p;
        s.len = (uint32_t)len;
    }
    return s;
}

/* Size of a fixed-size value type, 0 for strings and arrays. */
static uint32_t scalar_size(uint32_t type)
{
    static const uint8_t sizes[GGUF_VTYPE_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
    return type < GGUF_VTYPE_COUNT ? sizes[type] : 0;
}

/* The little-endian integer of the n bytes at p (n: 1, 2, 4 or 8). */
static uint64_t le(const uint8_t *p, uint32_t n)
{
    if (n == 8)
        return le64(p);
    if (n == 4)
        return le32(p);
    return n == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : p[0];
}

/* Skips over the strings of an array as long as each one's bytes are all
 * there, returning how many it passed: the vocabularies' 150,000-260,000
 * strings cost a fifth of a large model's preparation under emulation
 * through rd_str's calls. skip_value takes the rest, with its errors. */
static uint64_t skip_whole_strings(struct cursor *c, uint64_t count)
{
    size_t i = 0, n = (size_t)count; /* count <= the file's bytes / 8: fits */
    for (; i < n; i++) {
        size_t left = c->size - c->pos;
        if (left < 8)
            break;
        const uint8_t *p = c->base + c->pos;
        uint32_t len = le32(p);
        if (le32(p + 4) || len > left - 8) /* 2^32 bytes or more, or beyond the bytes read */
            break;
        c->pos += 8 + (size_t)len;
    }
    return i;
}

/* Skips over one value of `type`, validating it; arrays may nest (bounded). */
static void skip_value(struct cursor *c, uint32_t type, int depth)
{
    if (type >= GGUF_VTYPE_COUNT) {
        fail(c, "unknown metadata value type");
        return;
    }
    if (type == GGUF_STRING) {
        rd_str(c, "a string value");
        return;
    }
    if (type != GGUF_ARRAY) {
        take(c, scalar_size(type), "a metadata value");
        return;
    }
    if (depth >= 4) {
        fail(c, "arrays nested too deeply");
        return;
    }
    uint32_t et = rd_u32(c, "an array type");
    uint64_t count = rd_u64(c, "an array count");
    if (c->failed)
        return;
    if (et >= GGUF_VTYPE_COUNT) {
        fail(c, "unknown array element type");
        return;
    }
    if (et != GGUF_STRING && et != GGUF_ARRAY) {
        uint32_t sz = scalar_size(et);
        if (count > (uint64_t)(remaining(c) / sz)) {
            fail_as(c, TRUNCATED, "an array count is larger than the file");
            return;
        }
        take(c, count * sz, "an array");
        return;
    }
    /* Each string or array element needs at least 8 bytes: bounds the loop. */
    if (count > (uint64_t)(remaining(c) / 8)) {
        fail_as(c, TRUNCATED, "an array count is larger than the file");
        return;
    }
    size_t start = c->pos;
    for (uint64_t i = et == GGUF_STRING ? skip_whole_strings(c, count) : 0; i < count && !c->failed; i++) {
        size_t at = c->pos;
        skip_value(c, et, depth + 1);
        if (c->failed && c->need && i > 0) {
            /* The header goes on past the bytes read. Each read parses it
             * again from the start, so ask for the rest of this array at
             * once (a quarter more than its elements so far suggest),
             * not just for the next element: a vocabulary of 262,144
             * strings took eight reads and parses otherwise. */
            uint64_t rest = (uint64_t)((at - start) / (size_t)i) * (count - i);
            uint64_t guess = (uint64_t)at + rest + rest / 4;
            c->need = guess > c->need ? guess : c->need;
        }
    }
}

static int parse_kv(struct cursor *c, struct gguf_kv *kv)
{
    kv->key = rd_str(c, "a metadata key");
    kv->type = rd_u32(c, "a metadata type");
    kv->arr_type = 0;
    kv->arr_count = 0;
    if (c->failed)
        return -1;
    if (kv->type == GGUF_ARRAY) {
        size_t at = c->pos;
        kv->arr_type = rd_u32(c, "an array type");
        uint64_t count = rd_u64(c, "an array count");
        if (c->failed)
            return -1;
        kv->value = c->base + c->pos;
        c->pos = at; /* re-read the header inside skip_value, which validates */
        skip_value(c, GGUF_ARRAY, 0);
        kv->arr_count = (uint32_t)count; /* fits: validated against the file size */
    } else {
        kv->value = c->base + c->pos;
        skip_value(c, kv->type, 0);
    }
    return c->failed ? -1 : 0;
}

static int parse_tensor(struct cursor *c, struct gguf_tensor *t, uint64_t *offset)
{
    t->name = rd_str(c, "a tensor name");
    t->n_dims = rd_u32(c, "a tensor rank");
    if (c->failed)
        return -1;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return fail(c, "tensor rank out of range");
    t->n_elements = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = d < t->n_dims ? rd_u64(c, "a tensor dimension") : 1;
        if (c->failed)
            return -1;
        if (t->ne[d] == 0 || t->ne[d] > 0xffffffffu)
            return fail(c, "tensor dimension out of range");
        if (__builtin_mul_overflow(t->n_elements, t->ne[d], &t->n_elements))
            return fail(c, "tensor size overflows");
    }
    t->type = rd_u32(c, "a tensor type");
    *offset = rd_u64(c, "a tensor offset");
    if (c->failed)
        return -1;
    uint64_t row = quant_row_bytes(t->type, (uint32_t)t->ne[0]);
    if (row == 0) {
        char msg[128];
        if (!quant_supported(t->type))
            snprintf(msg, sizeof msg, "tensor '%.*s' has unsupported type %s", (int)(t->name.len > 48 ? 48 : t->name.len),
                     t->name.ptr, quant_type_name(t->type));
        else
            snprintf(msg, sizeof msg, "tensor '%.*s' rows are not whole %s blocks",
                     (int)(t->name.len > 48 ? 48 : t->name.len), t->name.ptr, quant_type_name(t->type));
        return fail_as(c, UNSUPPORTED, msg);
    }
    uint64_t rows = t->ne[1] * t->ne[2]; /* each < 2^32: no overflow */
    if (__builtin_mul_overflow(rows, t->ne[3], &rows) || __builtin_mul_overflow(rows, row, &t->n_bytes))
        return fail(c, "tensor size overflows");
    return 0;
}

static int find_alignment(struct gguf_file *f, struct cursor *c)
{
    f->alignment = 32;
    const struct gguf_kv *kv = gguf_find(f, "general.alignment");
    if (!kv)
        return 0;
    uint32_t a;
    if (gguf_get_u32(f, "general.alignment", &a) != 0 || a == 0 || (a & (a - 1)) != 0 || a > 65536)
        return fail(c, "general.alignment is not a power of two");
    f->alignment = a;
    return 0;
}

size_t gguf_header_bytes(uint32_t n_kv, uint32_t n_tensors)
{
    return sizeof(struct gguf_kv) * (n_kv ? n_kv : 1) +
           (sizeof(struct gguf_tensor) + sizeof(uint64_t)) * (n_tensors ? n_tensors : 1);
}

static int parse(struct gguf_file *f, struct cursor *c);

int gguf_open(struct gguf_file *f, const void *data, size_t size, char *err, size_t errlen)
{
    struct cursor c = { data, size, size, 0, err, errlen, 0, 0, loader_prefix };
    return parse(f, &c);
}

int gguf_open_header(struct gguf_file *f, const void *data, size_t size, uint64_t file_size, uint64_t *need,
                     char *err, size_t errlen)
{
    if (need)
        *need = 0;
    if ((uint64_t)(size_t)file_size != file_size) {
        memset(f, 0, sizeof *f);
        snprintf(err, errlen, "the file is too large for this machine's address space");
        return -1;
    }
    struct cursor c = { data, size < file_size ? size : (size_t)file_size, (size_t)file_size, 0, err, errlen, 0, 0,
                        probe_prefix };
    int rc = parse(f, &c);
    if (need)
        *need = c.need;
    return rc;
}

/* Both entry points: the cursor bounds the bytes and names the problems. */
static int parse(struct gguf_file *f, struct cursor *c)
{
    const uint8_t *data = c->base;
    size_t file_size = c->file_size;
    memset(f, 0, sizeof *f);
    const uint8_t *magic = take(c, 4, "the magic");
    if (!magic)
        return -1;
    if (memcmp(magic, "GGUF", 4) != 0)
        return fail(c, "not a GGUF file (bad magic)");
    f->version = rd_u32(c, "the version");
    uint64_t n_tensors = rd_u64(c, "the tensor count");
    uint64_t n_kv = rd_u64(c, "the metadata count");
    if (c->failed)
        return -1;
    if (f->version != 2 && f->version != 3) {
        char msg[64];
        snprintf(msg, sizeof msg, "unsupported version %lu (2 and 3 are)", (unsigned long)f->version);
        return fail_as(c, UNSUPPORTED, msg);
    }
    /* Smallest encodings: a key/value 13 bytes, a tensor info 32 bytes. */
    if (n_kv > remaining(c) / 13)
        return fail(c, "impossible key or tensor count (more keys than the file has room for)");
    if (n_tensors > remaining(c) / 32)
        return fail(c, "impossible key or tensor count (more tensors than the file has room for)");
    /* A large file with a small first part could still claim counts whose
     * tables overflow a 32-bit size_t. */
    if ((sizeof(struct gguf_kv) + sizeof(struct gguf_tensor) + sizeof(uint64_t)) * (n_kv + n_tensors + 2) >
        0x7fffffffu)
        return fail(c, "impossible key or tensor count (too many to index)");
    f->n_kv = (uint32_t)n_kv;
    f->n_tensors = (uint32_t)n_tensors;
    /* gguf_header_bytes counts these three. */
    f->kv = llm_alloc(sizeof(struct gguf_kv) * (f->n_kv ? f->n_kv : 1), 8);
    f->tensors = llm_alloc(sizeof(struct gguf_tensor) * (f->n_tensors ? f->n_tensors : 1), 8);
    uint64_t *offsets = llm_alloc(sizeof(uint64_t) * (f->n_tensors ? f->n_tensors : 1), 8);
    if (!f->kv || !f->tensors || !offsets) {
        fail(c, "out of memory for the header");
        goto out;
    }
    for (uint32_t i = 0; i < f->n_kv; i++)
        if (parse_kv(c, &f->kv[i]) != 0)
            goto out;
    if (find_alignment(f, c) != 0)
        goto out;
    for (uint32_t i = 0; i < f->n_tensors; i++)
        if (parse_tensor(c, &f->tensors[i], &offsets[i]) != 0)
            goto out;
    uint64_t data_start = ((uint64_t)c->pos + f->alignment - 1) & ~(uint64_t)(f->alignment - 1);
    for (uint32_t i = 0; i < f->n_tensors && !c->failed; i++) {
        struct gguf_tensor *t = &f->tensors[i];
        if ((offsets[i] & (f->alignment - 1)) != 0)
            fail(c, "tensor data offset is not aligned");
        else if (data_start > file_size || offsets[i] > file_size - data_start ||
                 t->n_bytes > file_size - data_start - offsets[i])
            fail_as(c, TRUNCATED, "the tensor data runs past the end of the file");
        else if (data_start + offsets[i] + t->n_bytes <= c->size)
            t->data = (const uint8_t *)data + (size_t)(data_start + offsets[i]);
        t->offset = data_start + offsets[i];
    }
    f->data_start = data_start;
out:
    llm_free(offsets);
    if (c->failed) {
        gguf_close(f);
        return -1;
    }
    return 0;
}

uint64_t gguf_header_next_read(uint64_t need, uint64_t len, uint64_t file_size)
{
    uint64_t next = need > len + len / 2 ? need : len + len / 2;
    return next < file_size ? next : file_size;
}

void gguf_close(struct gguf_file *f)
{
    llm_free(f->kv);
    llm_free(f->tensors);
    f->kv = NULL;
    f->tensors = NULL;
    f->n_kv = f->n_tensors = 0;
}

int gguf_str_eq(struct gguf_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

const struct gguf_kv *gguf_find(const struct gguf_file *f, const char *key)
{
    for (uint32_t i = 0; i < f->n_kv; i++)
        if (gguf_str_eq(f->kv[i].key, key))
            return &f->kv[i];
    return NULL;
}

const struct gguf_tensor *gguf_find_tensor(const struct gguf_file *f, const char *name)
{
    for (uint32_t i = 0; i < f->n_tensors; i++)
        if (gguf_str_eq(f->tensors[i].name, name))
            return &f->tensors[i];
    return NULL;
}

int gguf_get_u32(const struct gguf_file *f, const char *key, uint32_t *out)
{
    const struct gguf_kv *kv = gguf_find(f, key);
    if (!kv)
        return -1;
    int is_signed = kv->type == GGUF_INT8 || kv->type == GGUF_INT16 || kv->type == GGUF_INT32 ||
                    kv->type == GGUF_INT64;
    int is_unsigned = kv->type == GGUF_UINT8 || kv->type == GGUF_UINT16 || kv->type == GGUF_UINT32 ||
                      kv->type == GGUF_UINT64;
    if (!is_signed && !is_unsigned)
        return -1;
    uint32_t sz = scalar_size(kv->type);
    uint64_t v = le(kv->value, sz);
    if (is_signed && (v >> (8 * sz - 1)) & 1)
        return -1; /* negative */
    if (v > 0xffffffffu)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int gguf_get_f32(const struct gguf_file *f, const char *key, float *out)
{
    const struct gguf_kv *kv = gguf_find(f, key);
    if (!kv)
        return -1;
    if (kv->type == GGUF_FLOAT32) {
        uint32_t b = le32(kv->value);
        memcpy(out, &b, 4);
        return 0;
    }
    if (kv->type == GGUF_FLOAT64) {
        uint64_t b = le(kv->value, 8);
        double d;
        memcpy(&d, &b, 8);
        *out = (float)d;
        return 0;
    }
    return -1;
}

int gguf_get_bool(const struct gguf_file *f, const char *key, int *out)
{
    const struct gguf_kv *kv = gguf_find(f, key);
    if (!kv || kv->type != GGUF_BOOL)
        return -1;
    *out = kv->value[0] != 0;
    return 0;
}

int gguf_get_str(const struct gguf_file *f, const char *key, struct gguf_str *out)
{
    const struct gguf_kv *kv = gguf_find(f, key);
    if (!kv || kv->type != GGUF_STRING)
        return -1;
    out->len = le32(kv->value); /* validated: < 2^32 and inside the file */
    out->ptr = (const char *)kv->value + 8;
    return 0;
}

int gguf_get_array(const struct gguf_file *f, const char *key, uint32_t type, const struct gguf_kv **kv)
{
    const struct gguf_kv *k = gguf_find(f, key);
    if (!k || k->type != GGUF_ARRAY || k->arr_type != type)
        return -1;
    *kv = k;
    return 0;
}

void gguf_array_string_stats(const struct gguf_kv *kv, uint64_t *total, uint32_t *longest)
{
    const uint8_t *p = kv->value;
    *total = 0;
    *longest = 0;
    for (uint32_t i = 0; i < kv->arr_count; i++) {
        uint32_t len = le32(p);
        *total += len;
        if (len > *longest)
            *longest = len;
        p += 8 + len;
    }
}

void gguf_array_strings(const struct gguf_kv *kv, struct gguf_str *out)
{
    const uint8_t *p = kv->value;
    for (uint32_t i = 0; i < kv->arr_count; i++) {
        out[i].len = le32(p);
        out[i].ptr = (const char *)p + 8;
        p += 8 + out[i].len;
    }
}
