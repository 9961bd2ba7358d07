/* wrap.h: streamed text word-wrapped for the 80-column screen. Words are held
 * back until they are complete, then go on the current line if they fit and
 * on a new one otherwise; a word wider than a line is cut. The line breaks
 * are real newlines written to the whole console, so the serial text breaks
 * where the VGA screen does. Columns count UTF-8 characters (one glyph each
 * on VGA). Control characters other than newline and tab show as U+FFFD. */
#ifndef AI_WRAP_H
#define AI_WRAP_H
#include <stddef.h>

/* A full 80-column row would make the VGA cursor wrap by itself before the
 * newline, leaving a blank row: lines hold at most 79 characters. */
#define WRAP_COLS 79

struct wrap {
    int col;                       /* characters on the current line */
    int started;                   /* text has been written */
    int spaces;                    /* spaces held until the next word */
    int word_cols;                 /* characters in word[] */
    size_t word_len;               /* bytes in word[] */
    char word[WRAP_COLS * 4];      /* the word being received (UTF-8) */
};

/* indent: columns the first line already holds (the answer marker, which
 * the caller shows before the first text). */
void wrap_begin(struct wrap *w, int indent);
void wrap_write(struct wrap *w, const char *s, size_t n);
/* Shows the last word and ends the line if text was written and anything is
 * on the line: an answer with no text leaves no line behind. */
void wrap_end(struct wrap *w);

#endif
