/* tokenizer_user.c: user-defined tokens (token type USER_DEFINED, e.g.
 * Qwen's "<tool_call>" or Gemma's "<start_of_turn>" and HTML tags) are cut
 * out of plain text before the family's encoder sees it, as llama.cpp does:
 * it takes the user-defined pieces longest first and, for each, every
 * occurrence left to right in the text not yet taken. Pieces of the same
 * length are taken here in one left-to-right pass (llama.cpp's order among
 * them is its sort's; the two differ only when two such pieces overlap in the
 * text). Control tokens are never cut out: their text stays plain text. */
#include "platform.h"
#include "text/tokenizer_internal.h"

static int bit(const uint32_t *bits, uint32_t i) { return (int)(bits[i >> 5] >> (i & 31)) & 1; }
static void set_bit(uint32_t *bits, uint32_t i) { bits[i >> 5] |= 1u << (i & 31); }

void tok_user_init(tokenizer *tok)
{
    for (uint32_t id = 0; id < tok->n_vocab; id++) {
        uint32_t len = tok->offs[id + 1] - tok->offs[id];
        if (tok->types[id] != TOK_TYPE_USER_DEFINED || len == 0)
            continue;
        tok->n_user++;
        set_bit(tok->user_first, (uint8_t)tok->text[tok->offs[id]]);
        if (len < TOK_USER_SHORT)
            set_bit(tok->user_lens, len);
        else if (len > tok->user_long_max)
            tok->user_long_max = len;
    }
}

/* Whether some user-defined piece is len bytes long (pieces of
 * TOK_USER_SHORT bytes or more are not recorded one by one: every length up
 * to the longest is tried). */
static int user_len(const tokenizer *tok, uint32_t len)
{
    return len < TOK_USER_SHORT ? bit(tok->user_lens, len) : len <= tok->user_long_max;
}

/* Takes every occurrence of a user-defined piece of len bytes inside the
 * untaken run [a, b). */
static void take_in_run(const tokenizer *tok, const char *text, uint32_t a, uint32_t b, uint32_t len,
                        int32_t *marks)
{
    for (uint32_t i = a; i + len <= b;) {
        int32_t id = bit(tok->user_first, (uint8_t)text[i]) ? tok_find(tok, text + i, len) : -1;
        if (id < 0 || tok->types[id] != TOK_TYPE_USER_DEFINED) {
            i++;
            continue;
        }
        marks[i] = id;
        for (uint32_t k = 1; k < len; k++)
            marks[i + k] = TOK_MARK_INSIDE;
        i += len;
    }
}

void tok_user_split(const tokenizer *tok, const char *text, uint32_t len, int32_t *marks)
{
    for (uint32_t i = 0; i < len; i++)
        marks[i] = TOK_MARK_TEXT;
    if (tok->n_user == 0)
        return;
    uint32_t longest = tok->user_long_max ? tok->user_long_max : TOK_USER_SHORT - 1;
    for (uint32_t l = longest < len ? longest : len; l >= 1; l--) {
        if (!user_len(tok, l))
            continue;
        for (uint32_t a = 0; a < len;) {
            if (marks[a] != TOK_MARK_TEXT) {
                a++;
                continue;
            }
            uint32_t b = a;
            while (b < len && marks[b] == TOK_MARK_TEXT)
                b++;
            take_in_run(tok, text, a, b, l, marks);
            a = b;
        }
    }
}
