/* hashes.c: reads /MODELS/SHA256.TXT (hashes.h). A record is 64 hex digits,
 * a space, a space or '*' (sha256sum's text and binary marks) and a file
 * name of the folder itself; a line may end in "\r\n". Anything else, such
 * as an over-long line, bad hex or a name with a path, is reported with its
 * line number and skipped, so a hostile file can only hide records, never
 * stop the check of the others. */
#include "ai/hashes.h"
#include "ai/model.h"
#include "ai/names.h"
#include "drivers/console.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/string.h"

#define HEX_DIGITS 64
#define RECORD_MAX (HEX_DIGITS + 2 + AI_MODEL_NAME_MAX - 1)   /* hash, two spaces, the longest name */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* NULL when line (len bytes, no line end) is a record, stored in *r;
 * otherwise what is wrong with it. */
static const char *parse_line(const char *line, uint32_t len, struct ai_hash_record *r)
{
    if (len > RECORD_MAX)
        return "longer than a record can be";
    if (len < HEX_DIGITS + 3)
        return "not \"HASH  NAME\" (64 hex digits, two spaces, a file name)";
    for (int i = 0; i < HEX_DIGITS; i++) {
        int hi = hex_value(line[i]);
        if (hi < 0)
            return "the hash is not 64 hex digits";
        if (i % 2 == 0)
            r->sha256[i / 2] = (uint8_t)(hi << 4);
        else
            r->sha256[i / 2] |= (uint8_t)hi;
    }
    if (line[HEX_DIGITS] != ' ' || (line[HEX_DIGITS + 1] != ' ' && line[HEX_DIGITS + 1] != '*'))
        return "the hash is not followed by two spaces (or \" *\") and a name";
    uint32_t name_len = len - (HEX_DIGITS + 2);   /* < sizeof r->name: RECORD_MAX */
    memcpy(r->name, line + HEX_DIGITS + 2, name_len);
    r->name[name_len] = 0;
    if (strlen(r->name) != name_len)
        return "the name holds a NUL byte";
    const char *problem = ai_folder_name_problem(r->name);
    return problem ? "the name is not a file of " AI_MODELS_DIR : NULL;
}

void ai_hashes_parse(struct ai_hashes *h, const char *text, uint32_t size)
{
    h->count = 0;
    unsigned line_no = 0;
    int reported_full = 0;
    for (uint32_t at = 0; at < size;) {
        uint32_t end = at;
        while (end < size && text[end] != '\n')
            end++;
        uint32_t len = end - at;
        if (len && text[at + len - 1] == '\r')
            len--;
        line_no++;
        const char *line = text + at;
        at = end + 1;
        if (len == 0)
            continue;
        if (h->count == AI_HASHES_MAX) {
            if (!reported_full)
                kprintf("%s line %u: more than %d records, the rest are ignored\n", AI_HASHES_FILE,
                        line_no, AI_HASHES_MAX);
            reported_full = 1;
            continue;
        }
        const char *problem = parse_line(line, len, &h->records[h->count]);
        if (problem)
            kprintf("%s line %u: %s, ignored\n", AI_HASHES_FILE, line_no, problem);
        else
            h->count++;
    }
}

void ai_hashes_load(struct ai_hashes *h)
{
    const char *path = AI_MODELS_DIR "/" AI_HASHES_FILE;
    h->count = 0;
    struct fs_stat st;
    int r = fs_stat(path, &st);
    if (r == 0 && st.is_dir)
        r = FS_EISDIR;
    if (r == 0 && st.size > AI_HASHES_FILE_MAX) {
        kprintf("%s: %u bytes, more than a hashes file holds (%u): no recorded hashes\n", path,
                (unsigned)st.size, AI_HASHES_FILE_MAX);
        return;
    }
    void *text = NULL;
    size_t size = 0;
    if (r == 0)
        r = fs_read_whole(path, 1, &text, &size, NULL, NULL);
    if (r != 0) {
        kprintf("%s: %s: no recorded hashes\n", path, fs_error_message(r));
        return;
    }
    ai_hashes_parse(h, text, (uint32_t)size);
    kfree(text);
}

const uint8_t *ai_hashes_find(const struct ai_hashes *h, const char *name)
{
    for (int i = 0; i < h->count; i++)
        if (ai_model_same_name(h->records[i].name, name))
            return h->records[i].sha256;
    return NULL;
}
