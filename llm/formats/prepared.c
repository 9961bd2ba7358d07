/* prepared.c: writing and reading the prepared-weights file of
 * prepared.h, checking every field before it is used. */
#include "formats/prepared.h"
#include "bytes.h"

#include "formats/digest.h"
#include "matmul/repack.h"
#include "model.h"
#include "params.h"
#include "platform.h"
#include "text/tokenizer.h"

static const char MAGIC[8] = { 'M', 'Y', 'O', 'S', 'P', 'R', 'E', 'P' };

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* The repacked matrices of a model, as the file lists them. */
struct shape_count {
    uint32_t n;
    uint64_t bytes; /* the file's size for them */
};

static int count_one(struct qtensor *t, const char *name, void *arg)
{
    struct shape_count *c = arg;
    (void)name;
    if (rq_repackable(t->type)) {
        c->n++;
        c->bytes += PREPARED_RECORD_BYTES + rq_arrays_bytes(t->type, t->rows, t->cols);
    }
    return 0;
}

/* The tokenizer's tables (none without a tokenizer). */
static void tables_of(const struct llm_model *m, struct tok_table t[TOK_TABLES])
{
    if (m->tok)
        tok_tables(m->tok, t);
    else
        memset(t, 0, TOK_TABLES * sizeof *t);
}

static struct shape_count count(const struct llm_model *m)
{
    struct shape_count c = { 0, PREPARED_HEADER_BYTES + DIGEST_BYTES };
    struct tok_table t[TOK_TABLES];
    model_for_each_matrix((struct llm_model *)m, count_one, &c);
    tables_of(m, t);
    for (int i = 0; i < TOK_TABLES; i++)
        c.bytes += t[i].bytes;
    return c;
}

uint64_t prepared_size(const struct llm_model *m)
{
    return count(m).bytes;
}

static void header_bytes(const struct llm_model *m, uint8_t h[PREPARED_HEADER_BYTES])
{
    struct shape_count c = count(m);
    memset(h, 0, PREPARED_HEADER_BYTES);
    memcpy(h, MAGIC, sizeof MAGIC);
    put32(h + 8, PREPARED_VERSION);
    put32(h + 12, c.n);
    put64(h + 16, m->source_size);
    memcpy(h + 24, m->source_digest, DIGEST_BYTES);
    put64(h + 40, c.bytes);
}

static void record_bytes(const struct rq_matrix *p, uint8_t r[PREPARED_RECORD_BYTES])
{
    memset(r, 0, PREPARED_RECORD_BYTES);
    put32(r, p->format);
    put32(r + 4, p->rows);
    put32(r + 8, p->cols);
}

/* ---- writing ------------------------------------------------------------ */

struct writing {
    const struct llm_sink *out;
    struct digest digest;
    char *err;
    size_t errlen;
};

static int emit(struct writing *w, const void *p, uint64_t len)
{
    /* In parts a 32-bit size_t can hold. */
    for (const uint8_t *b = p; len;) {
        size_t n = len > (1u << 30) ? (size_t)1 << 30 : (size_t)len;
        digest_add(&w->digest, b, n);
        if (w->out->write(w->out->ctx, b, n, w->err, w->errlen) != 0)
            return -1;
        b += n;
        len -= n;
    }
    return 0;
}

static int write_one(struct qtensor *t, const char *name, void *arg)
{
    struct writing *w = arg;
    if (!rq_repackable(t->type))
        return 0;
    if (!t->packed) {
        snprintf(w->err, w->errlen, "prepared weights: %s is not repacked", name);
        return -1;
    }
    uint8_t r[PREPARED_RECORD_BYTES];
    struct rq_array a[RQ_ARRAYS];
    record_bytes(t->packed, r);
    rq_arrays(t->packed, a);
    if (emit(w, r, sizeof r) != 0)
        return -1;
    for (int i = 0; i < RQ_ARRAYS; i++)
        if (emit(w, a[i].ptr, a[i].bytes) != 0)
            return -1;
    return 0;
}

int prepared_write(const struct llm_model *m, const struct llm_sink *out, char *err, size_t errlen)
{
    struct writing w = { out, { { 0 }, 0, { 0 }, 0 }, err, errlen };
    uint8_t h[PREPARED_HEADER_BYTES], check[DIGEST_BYTES];
    if (!strcmp(m->format, "llama2c")) {
        snprintf(err, errlen, "prepared weights: a llama2.c model has nothing to prepare");
        return -1;
    }
    digest_init(&w.digest);
    header_bytes(m, h);
    struct tok_table t[TOK_TABLES];
    tables_of(m, t);
    if (emit(&w, h, sizeof h) != 0 || model_for_each_matrix((struct llm_model *)m, write_one, &w) != 0)
        return -1;
    for (int i = 0; i < TOK_TABLES; i++)
        if (emit(&w, t[i].ptr, t[i].bytes) != 0)
            return -1;
    digest_final(&w.digest, check);
    return out->write(out->ctx, check, sizeof check, err, errlen);
}

/* ---- reading ------------------------------------------------------------ */

struct reading {
    const struct llm_file *f;
    uint64_t at;
    struct digest_behind digest;
    uint8_t record[PREPARED_RECORD_BYTES]; /* the last one read: its digest may be pending */
    const struct llm_cancel *cancel;
    char *note;
    size_t notelen;
};

/* The next len bytes into dst, in parts of LLM_READ_PART. */
static int take(struct reading *r, void *dst, uint64_t len)
{
    uint8_t *b = dst;
    while (len) {
        size_t n = len > LLM_READ_PART ? LLM_READ_PART : (size_t)len;
        if (r->f->bytes) {
            memcpy(b, (const uint8_t *)r->f->bytes + r->at, n);
            digest_add(&r->digest.d, b, n);
        } else if (digest_read(&r->digest, r->f, r->at, b, n, r->note, r->notelen) != 0) {
            return -1;
        }
        r->at += n;
        b += n;
        len -= n;
    }
    return 0;
}

int prepared_check_header(const struct llm_model *m, const struct llm_file *f, char *note, size_t notelen)
{
    struct shape_count c = count(m);
    struct reading r = { .f = f, .note = note, .notelen = notelen };
    uint8_t h[PREPARED_HEADER_BYTES];
    if (f->size < PREPARED_HEADER_BYTES + DIGEST_BYTES) {
        snprintf(note, notelen, "too short for prepared weights (%lu bytes)", (unsigned long)f->size);
        return -1;
    }
    if (take(&r, h, sizeof h) != 0)
        return -1;
    if (memcmp(h, MAGIC, sizeof MAGIC) != 0) {
        snprintf(note, notelen, "not a prepared-weights file");
        return -1;
    }
    if (le32(h + 8) != PREPARED_VERSION) {
        snprintf(note, notelen, "prepared weights of format version %lu (this system reads %lu)",
                 (unsigned long)le32(h + 8), (unsigned long)PREPARED_VERSION);
        return -1;
    }
    if (le64(h + 16) != m->source_size || le32(h + 12) != c.n || le64(h + 40) != c.bytes) {
        snprintf(note, notelen, "prepared from another model file (stale)");
        return -1;
    }
    if (f->size != c.bytes) {
        snprintf(note, notelen, "%s: %lu bytes where %lu were written", f->size < c.bytes ? "cut short" : "too long",
                 (unsigned long)f->size, (unsigned long)c.bytes);
        return -1;
    }
    return 0;
}

static int read_one(struct qtensor *t, const char *name, void *arg)
{
    struct reading *r = arg;
    if (!rq_repackable(t->type))
        return 0;
    if (llm_cancel_requested(r->cancel)) {
        snprintf(r->note, r->notelen, LLM_CANCELLED);
        return -1;
    }
    const uint8_t *rec = r->record;
    if (take(r, r->record, sizeof r->record) != 0)
        return -1;
    if (le32(rec) != (uint32_t)rq_format_of(t->type) || le32(rec + 4) != t->rows || le32(rec + 8) != t->cols ||
        le32(rec + 12) != 0) {
        snprintf(r->note, r->notelen, "damaged: the record of %s does not match the model", name);
        return -1;
    }
    char err[8];
    if (!(t->packed = rq_alloc(t->type, t->rows, t->cols, 0, name, err, sizeof err))) {
        snprintf(r->note, r->notelen, "out of memory reading %s", name);
        return -1;
    }
    struct rq_array a[RQ_ARRAYS];
    rq_arrays(t->packed, a);
    for (int i = 0; i < RQ_ARRAYS; i++)
        if (take(r, a[i].ptr, a[i].bytes) != 0)
            return -1;
    return 0;
}

static int free_one(struct qtensor *t, const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    rq_free(t->packed);
    t->packed = NULL;
    return 0;
}

int prepared_read(struct llm_model *m, const struct llm_file *f, const struct llm_cancel *cancel, char *note,
                  size_t notelen)
{
    struct reading r = { .f = f, .cancel = cancel, .note = note, .notelen = notelen };
    uint8_t h[PREPARED_HEADER_BYTES], check[DIGEST_BYTES], want[DIGEST_BYTES];
    if (prepared_check_header(m, f, note, notelen) != 0)
        return -1;
    digest_behind_init(&r.digest);
    if (take(&r, h, sizeof h) != 0)
        goto fail;
    if (memcmp(h + 24, m->source_digest, DIGEST_BYTES) != 0) {
        snprintf(note, notelen, "prepared from another model file (stale)");
        goto fail;
    }
    if (model_for_each_matrix(m, read_one, &r) != 0)
        goto fail;
    /* Into the tokenizer's places; it checks them (tok_adopt_tables) once
     * this file has proved whole, and rebuilds them otherwise. */
    struct tok_table t[TOK_TABLES];
    tables_of(m, t);
    for (int i = 0; i < TOK_TABLES; i++)
        if (take(&r, t[i].ptr, t[i].bytes) != 0)
            goto fail;
    digest_catch_up(&r.digest);
    digest_final(&r.digest.d, want);
    if (take(&r, check, sizeof check) != 0)
        goto fail;
    if (memcmp(check, want, DIGEST_BYTES) != 0) {
        snprintf(note, notelen, "damaged (its check digest does not match)");
        goto fail;
    }
    return 0;
fail:
    model_for_each_matrix(m, free_one, NULL);
    return -1;
}
