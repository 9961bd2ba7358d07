/* weights.c: weights_load and its plan (weights.h): the tensors a model
 * uses, read from its file one at a time, in file order (sequential reads
 * from the disk), into their final place or repacked a part at a time. */
#include "formats/weights.h"

#include "formats/digest.h"
#include "formats/prepared.h"
#include "matmul/repack.h"
#include "params.h"
#include "platform.h"

#define STORE_ALIGN 64

int weights_plan_init(struct weight_plan *p, uint32_t cap)
{
    p->n = 0;
    p->cap = cap;
    p->jobs = llm_alloc((size_t)weights_plan_bytes(cap), 8);
    return p->jobs ? 0 : -1;
}

void weights_plan_free(struct weight_plan *p)
{
    llm_free(p->jobs);
    p->jobs = NULL;
    p->n = p->cap = 0;
}

uint64_t weights_plan_bytes(uint32_t cap)
{
    return sizeof(struct weight_job) * (uint64_t)(cap ? cap : 1);
}

struct weight_job *weights_plan_add(struct weight_plan *p)
{
    if (p->n >= p->cap)
        return NULL;
    struct weight_job *j = &p->jobs[p->n++];
    memset(j, 0, sizeof *j);
    return j;
}

int weights_kept(uint32_t type, int is_embedding)
{
    return is_embedding || !rq_repackable(type);
}

/* The chunk buffers of a streamed load, used in turn: the digest of one
 * part is taken in while the next is read into the other. */
#define LOAD_CHUNKS 2

uint64_t weights_store_bytes(uint64_t tensor_bytes)
{
    return (tensor_bytes + STORE_ALIGN - 1) & ~(uint64_t)(STORE_ALIGN - 1);
}

uint64_t weights_stream_bytes(void)
{
    return LOAD_CHUNKS * (uint64_t)LLM_LOAD_CHUNK;
}

/* The jobs by file offset (a few hundred: insertion sort). */
static void sort_by_offset(struct weight_plan *p)
{
    for (uint32_t i = 1; i < p->n; i++) {
        struct weight_job j = p->jobs[i];
        uint32_t k = i;
        for (; k > 0 && p->jobs[k - 1].offset > j.offset; k--)
            p->jobs[k] = p->jobs[k - 1];
        p->jobs[k] = j;
    }
}

struct reading {
    struct llm_model *m;
    const struct llm_file *file;
    const struct llm_cancel *cancel;
    struct digest_behind *digest; /* NULL on the second pass (already known) */
    /* Buffers of LLM_LOAD_CHUNK bytes for a file read in parts, used in turn:
     * the digest of the last parts read is still pending (digest.h). */
    uint8_t *chunks[LOAD_CHUNKS];
    uint32_t last_chunk;
    uint8_t *store_next;   /* the next kept tensor's place */
    int keep_all;          /* matrices kept too, repacked from there (rq_repack_rest) */
    char *err;
    size_t errlen;
};

/* len bytes at offset: in place, or read into dst in parts of
 * LLM_READ_PART. NULL with err set. */
static const uint8_t *get(struct reading *r, uint64_t offset, void *dst, size_t len)
{
    if (r->file->bytes) {
        const uint8_t *p = (const uint8_t *)r->file->bytes + offset;
        if (r->digest)
            digest_add(&r->digest->d, p, len);
        return p;
    }
    for (size_t done = 0; done < len;) {
        size_t n = len - done < LLM_READ_PART ? len - done : LLM_READ_PART;
        uint8_t *part = (uint8_t *)dst + done;
        int rc = r->digest ? digest_read(r->digest, r->file, offset + done, part, n, r->err, r->errlen)
                           : r->file->read(r->file->ctx, offset + done, part, n, r->err, r->errlen);
        if (rc != 0)
            return NULL;
        done += n;
    }
    return dst;
}

/* The chunk buffer not used last. */
static uint8_t *next_chunk(struct reading *r)
{
    r->last_chunk = (r->last_chunk + 1) % LOAD_CHUNKS;
    return r->chunks[r->last_chunk];
}

static int cancelled(struct reading *r)
{
    if (!llm_cancel_requested(r->cancel))
        return 0;
    snprintf(r->err, r->errlen, LLM_CANCELLED);
    return 1;
}

/* A matrix to repack (repack 1) or only to digest (0: the prepared weights
 * will replace it), a part of at most LLM_LOAD_CHUNK bytes at a time. In
 * memory it is used in place and repacked later (rq_repack_rest). */
static int read_matrix(struct reading *r, const struct weight_job *j, int repack)
{
    struct qtensor *t = j->t;
    if (r->file->bytes) {
        t->data = get(r, j->offset, NULL, (size_t)j->bytes);
        return 0;
    }
    t->data = NULL;
    if (repack && !(t->packed = rq_alloc(t->type, t->rows, t->cols, 1, j->name, r->err, r->errlen)))
        return -1;
    uint32_t rows_at_once = LLM_LOAD_CHUNK / t->row_bytes;
    for (uint32_t r0 = 0; r0 < t->rows; r0 += rows_at_once) {
        uint32_t n = t->rows - r0 < rows_at_once ? t->rows - r0 : rows_at_once;
        const uint8_t *rows =
            get(r, j->offset + (uint64_t)r0 * t->row_bytes, next_chunk(r), (size_t)n * t->row_bytes);
        if (!rows || cancelled(r))
            return -1;
        if (repack && rq_repack_rows(t->packed, t->type, rows, r0, n, j->name, r->cancel, r->err, r->errlen) != 0)
            return -1;
    }
    return 0;
}

static int read_job(struct reading *r, const struct weight_job *j, int repack)
{
    const uint8_t *p;
    switch (j->use == WEIGHT_REPACK && r->keep_all ? WEIGHT_KEEP : j->use) {
    case WEIGHT_KEEP:
        p = get(r, j->offset, r->store_next, (size_t)j->bytes);
        if (!p)
            return -1;
        j->t->data = p;
        if (!r->file->bytes)
            r->store_next += weights_store_bytes(j->bytes);
        return cancelled(r) ? -1 : 0;
    case WEIGHT_VECTOR:
        /* A vector is at most LLM_MAX_HIDDEN F32 values: within a chunk. */
        if (!(p = get(r, j->offset, next_chunk(r), (size_t)j->bytes)))
            return -1;
        quant_dequant(j->type, p, j->dst, j->len);
        return 0;
    default:
        return read_matrix(r, j, repack);
    }
}

int weights_load(struct llm_model *m, const struct llm_file *file, const void *header, uint64_t header_len,
                 struct weight_plan *plan, struct llm_load_options *opt, char *err, size_t errlen)
{
    sort_by_offset(plan);
    struct digest_behind digest;
    struct reading r = { m, file, opt->cancel, &digest, { NULL }, 0, NULL, opt->keep_file_weights, err, errlen };
    uint64_t store = 0;
    for (uint32_t i = 0; i < plan->n; i++)
        if (plan->jobs[i].use == WEIGHT_KEEP || (r.keep_all && plan->jobs[i].use == WEIGHT_REPACK))
            store += weights_store_bytes(plan->jobs[i].bytes);
    int rc = -1;
    m->source_size = file->size;
    if (!file->bytes) {
        int chunks = 1;
        for (uint32_t i = 0; i < LOAD_CHUNKS; i++)
            chunks &= (r.chunks[i] = llm_alloc(LLM_LOAD_CHUNK, 64)) != NULL;
        m->file_store = (size_t)store == store ? llm_alloc(store ? (size_t)store : 1, STORE_ALIGN) : NULL;
        if (!chunks || !m->file_store) {
            snprintf(err, errlen, "out of memory for the model's tensors (%lu MiB kept as in the file)",
                     (unsigned long)(store >> 20));
            goto out;
        }
        r.store_next = m->file_store;
    }
    /* Prepared weights that may fit: the matrices are then only digested
     * on the way, and taken from that file once the digest says it was
     * made from these bytes. */
    int candidate = opt->prepared && prepared_check_header(m, opt->prepared, opt->prepared_note,
                                                           sizeof opt->prepared_note) == 0;
    digest_behind_init(&digest);
    digest_add(&digest.d, header, (size_t)header_len);
    for (uint32_t i = 0; i < plan->n; i++)
        if (read_job(&r, &plan->jobs[i], !candidate) != 0)
            goto out;
    if (m->tied_output)
        m->output.data = m->tok_embd.data;
    digest_catch_up(&digest);
    digest_final(&digest.d, m->source_digest);
    if (!candidate) {
        rc = 0;
        goto out;
    }
    if (prepared_read(m, opt->prepared, opt->cancel, opt->prepared_note, sizeof opt->prepared_note) == 0) {
        opt->prepared_used = 1;
        rc = 0;
        goto out;
    }
    if (!strcmp(opt->prepared_note, LLM_CANCELLED)) {
        snprintf(err, errlen, LLM_CANCELLED);
        goto out;
    }
    /* Not usable after all: the matrices are read again and repacked (or
     * repacked from where they are kept, by rq_repack_rest). */
    r.digest = NULL;
    for (uint32_t i = 0; !r.keep_all && i < plan->n; i++)
        if (plan->jobs[i].use == WEIGHT_REPACK && read_job(&r, &plan->jobs[i], 1) != 0)
            goto out;
    rc = 0;
out:
    for (uint32_t i = 0; i < LOAD_CHUNKS; i++)
        llm_free(r.chunks[i]);
    return rc;
}
