/* wrap.c: the word wrap of streamed answers (see wrap.h). */
#include "ai/wrap.h"
#include "drivers/console.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void wrap_begin(struct wrap *w, int indent)
{
    w->col = indent;
    w->spaces = w->word_cols = 0;
    w->word_len = 0;
    w->started = 0;
}

static void put_spaces(int n)
{
    static const char blanks[WRAP_COLS] = { [0 ... WRAP_COLS - 1] = ' ' };
    console_write(blanks, (size_t)n);
}

/* Shows the word held back: after the held spaces if it fits on this line,
 * at the start of the next one if it does not. */
static void flush_word(struct wrap *w)
{
    if (w->word_len == 0)
        return;
    if (w->col > 0 && w->col + w->spaces + w->word_cols > WRAP_COLS) {
        console_write("\n", 1);
        w->col = 0;
        w->spaces = 0; /* the break replaces them */
    }
    if (w->spaces > WRAP_COLS - w->col - w->word_cols)
        w->spaces = WRAP_COLS - w->col - w->word_cols; /* long indentation */
    put_spaces(w->spaces);
    console_write(w->word, w->word_len);
    w->col += w->spaces + w->word_cols;
    w->spaces = 0;
    w->word_len = 0;
    w->word_cols = 0;
}

static void add_byte(struct wrap *w, char c)
{
    int starts_char = ((unsigned char)c & 0xc0) != 0x80;
    /* A word as wide as a line is shown as it stands (from a fresh line). */
    if (starts_char && w->word_cols == WRAP_COLS)
        flush_word(w);
    if (w->word_len == sizeof w->word)
        flush_word(w); /* only malformed UTF-8 gets here: never split chars of a valid one */
    w->word[w->word_len++] = c;
    w->word_cols += starts_char;
}

void wrap_write(struct wrap *w, const char *s, size_t n)
{
    if (n)
        w->started = 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            flush_word(w);
            console_write("\n", 1);
            w->col = w->spaces = 0;
        } else if (c == ' ') {
            flush_word(w);
            if (w->col + w->spaces < WRAP_COLS)
                w->spaces++;
        } else if (c == '\t') {
            flush_word(w);
            w->spaces += 8 - (w->col + w->spaces) % 8;
            if (w->col + w->spaces > WRAP_COLS)
                w->spaces = WRAP_COLS - w->col;
        } else if (c == '\r') {
            continue; /* a line break comes as \n */
        } else if ((unsigned char)c < 0x20 || c == 0x7f) {
            for (const char *r = replacement; *r; r++)
                add_byte(w, *r);
        } else {
            add_byte(w, c);
        }
    }
}

void wrap_end(struct wrap *w)
{
    flush_word(w);
    if (w->started && w->col > 0)
        console_write("\n", 1);
    w->col = w->spaces = 0;
}
