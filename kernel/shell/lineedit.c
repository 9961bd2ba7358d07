/* lineedit.c: line editing with cursor movement and history. The display is
 * updated with plain \b and reprinting (no terminal escapes), so the VGA
 * screen and a serial terminal both follow it the same way. Keys past the
 * buffer's capacity are refused; Enter then reports the line as too long.
 * A tab is kept in the line (free text reaches commands as typed) but shown
 * as one space, so that every byte of the line is one cell on the screen. */
#include "shell/lineedit.h"
#include "drivers/console.h"
#include "lib/string.h"

#define HISTORY_SIZE 16
#define HISTORY_LINE 256 /* longer lines are not kept in the history */

static char history[HISTORY_SIZE][HISTORY_LINE];
static int history_count; /* total ever added; slot = index % HISTORY_SIZE */

struct line {
    char *buf;
    size_t cap;  /* characters that fit (size - 1) */
    size_t len;
    size_t pos;  /* cursor */
};

static void out(const char *s, size_t n)
{
    console_write(s, n);
}

/* Writes ch n times, in chunks rather than one console call per cell. */
static void repeat(char ch, size_t n)
{
    char chunk[16];
    memset(chunk, ch, sizeof chunk);
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        out(chunk, k);
        n -= k;
    }
}

/* Shows line text: a tab as one space (see the top of this file). */
static void show(const char *s, size_t n)
{
    char chunk[64];
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        for (size_t i = 0; i < k; i++)
            chunk[i] = s[i] == '\t' ? ' ' : s[i];
        out(chunk, k);
        s += k;
        n -= k;
    }
}

static void backspaces(size_t n)
{
    repeat('\b', n);
}

static void spaces(size_t n)
{
    repeat(' ', n);
}

/* Redraws from the cursor to the end, erasing `erase` stale cells after it,
 * and puts the cursor back. */
static void redraw_tail(struct line *l, size_t erase)
{
    show(l->buf + l->pos, l->len - l->pos);
    spaces(erase);
    backspaces(l->len - l->pos + erase);
}

static void insert(struct line *l, char ch)
{
    memmove(l->buf + l->pos + 1, l->buf + l->pos, l->len - l->pos);
    l->buf[l->pos] = ch;
    l->len++;
    show(&ch, 1);
    l->pos++;
    redraw_tail(l, 0);
}

static void delete_at_cursor(struct line *l)
{
    memmove(l->buf + l->pos, l->buf + l->pos + 1, l->len - l->pos - 1);
    l->len--;
    redraw_tail(l, 1);
}

/* Replaces the whole line (history recall). */
static void replace(struct line *l, const char *text)
{
    size_t old_len = l->len;
    backspaces(l->pos);
    size_t n = strlen(text);
    if (n > l->cap)
        n = l->cap;
    memcpy(l->buf, text, n);
    l->len = l->pos = n;
    show(l->buf, n);
    if (old_len > n) {
        spaces(old_len - n);
        backspaces(old_len - n);
    }
}

static void history_add(const char *line)
{
    size_t n = strlen(line);
    if (n == 0 || n >= HISTORY_LINE)
        return;
    if (history_count > 0 && strcmp(history[(history_count - 1) % HISTORY_SIZE], line) == 0)
        return;
    memcpy(history[history_count % HISTORY_SIZE], line, n + 1);
    history_count++;
}

enum lineedit_result lineedit_read(const char *prompt, char *buf, size_t size)
{
    struct line l = { buf, size - 1, 0, 0 };
    int overflow = 0;
    int oldest = history_count > HISTORY_SIZE ? history_count - HISTORY_SIZE : 0;
    int browse = history_count; /* == history_count: the line being typed */
    char draft[HISTORY_LINE] = "";

    out(prompt, strlen(prompt));
    for (;;) {
        int key = console_getc();
        switch (key) {
        case '\n':
            buf[l.len] = 0;
            out("\n", 1);
            if (overflow)
                return LINE_TOO_LONG;
            history_add(buf);
            return LINE_OK;
        case KEY_CTRL('c'):
            out("^C\n", 3);
            buf[0] = 0;
            return LINE_CANCELLED;
        case KEY_CTRL('l'):
            console_clear();
            out(prompt, strlen(prompt));
            show(l.buf, l.len);
            backspaces(l.len - l.pos);
            break;
        case '\b':
            if (l.pos > 0) {
                out("\b", 1);
                l.pos--;
                delete_at_cursor(&l);
            }
            break;
        case KEY_DELETE:
            if (l.pos < l.len)
                delete_at_cursor(&l);
            break;
        case KEY_LEFT:
            if (l.pos > 0) {
                out("\b", 1);
                l.pos--;
            }
            break;
        case KEY_RIGHT:
            if (l.pos < l.len) {
                show(l.buf + l.pos, 1);
                l.pos++;
            }
            break;
        case KEY_HOME:
            backspaces(l.pos);
            l.pos = 0;
            break;
        case KEY_END:
            show(l.buf + l.pos, l.len - l.pos);
            l.pos = l.len;
            break;
        case KEY_UP:
            if (browse > oldest) {
                if (browse == history_count) {
                    size_t n = l.len < HISTORY_LINE - 1 ? l.len : HISTORY_LINE - 1;
                    memcpy(draft, l.buf, n);
                    draft[n] = 0;
                }
                browse--;
                replace(&l, history[browse % HISTORY_SIZE]);
            }
            break;
        case KEY_DOWN:
            if (browse < history_count) {
                browse++;
                replace(&l, browse == history_count ? draft : history[browse % HISTORY_SIZE]);
            }
            break;
        default:
            if ((key < ' ' || key > '~') && key != '\t')
                break;
            if (l.len >= l.cap)
                overflow = 1; /* refused: the line would not fit */
            else
                insert(&l, (char)key);
        }
    }
}
