/* console.c: joins the VGA screen and COM1 into one console. Serial input is
 * decoded from terminal conventions (CR for Enter, DEL for Backspace, ANSI
 * escape sequences for the arrows) into the same key codes as the keyboard.
 * Styles (the colours of an answer, its marker, a status line) are VGA
 * colours, and ANSI SGR sequences on serial only when asked for. */
#include <stdarg.h>
#include "drivers/console.h"
#include "drivers/keyboard.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "lib/printf.h"
#include "lib/string.h"

#define ESC_TIMEOUT_MS 50 /* a lone ESC is a key, not the start of a sequence */

static int last_was_cr;

/* Each style's VGA text colour and its ANSI SGR sequence (bright colours
 * where VGA uses its bright half). */
static const struct {
    enum vga_color vga;
    const char *ansi;
} styles[] = {
    [CONSOLE_PLAIN] = { VGA_LIGHT_GREY, "\033[0m" },
    [CONSOLE_MARKER] = { VGA_YELLOW, "\033[93m" },
    [CONSOLE_ANSWER] = { VGA_LIGHT_CYAN, "\033[96m" },
    [CONSOLE_DIM] = { VGA_DARK_GREY, "\033[90m" },
};
static enum console_style current;
static int serial_colors;               /* ANSI sequences on serial */
static enum console_style serial_style; /* the style serial was last told */

static void serial_style_to(enum console_style style)
{
    if (style != serial_style) {
        serial_write(styles[style].ansi, strlen(styles[style].ansi));
        serial_style = style;
    }
}

void console_init(void)
{
    vga_init();
    serial_init();
    keyboard_init();
}

void console_write(const char *s, size_t n)
{
    vga_write(s, n);
    serial_write(s, n);
}

void console_serial_colors(int on)
{
    if (!on)
        serial_style_to(CONSOLE_PLAIN); /* leave the terminal plain */
    serial_colors = on;
    if (on)
        serial_style_to(current);
}

void console_set_style(enum console_style style)
{
    current = style;
    vga_set_text_color(styles[style].vga);
    if (serial_colors)
        serial_style_to(style);
}

void console_begin_answer(void)
{
    static const char marker_utf8[] = "\xe2\x98\xbb "; /* U+263B, CP437 0x02 */
    console_set_style(CONSOLE_MARKER);
    vga_write_glyph(0x02);
    vga_write(" ", 1);
    if (serial_colors)
        serial_write(marker_utf8, sizeof marker_utf8 - 1);
    console_set_style(CONSOLE_ANSWER);
}

void kprintf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    if (n > 0)
        console_write(buf, (size_t)n);
}

void console_clear(void)
{
    static const char ansi_clear[] = "\033[2J\033[H";
    vga_clear();
    serial_write(ansi_clear, sizeof(ansi_clear) - 1);
}

/* The next serial byte, waiting at most timeout_ms; -1 on timeout. */
static int serial_read_timeout(uint32_t timeout_ms)
{
    uint64_t end = timer_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        int c = serial_read();
        if (c >= 0 || timer_ns() >= end)
            return c;
        cpu_sti_hlt();
    }
}

/* After ESC: "[A".."[D", "[H", "[F", "[3~", "[1~"/"[4~" (also "O"-prefixed). */
static int decode_escape(void)
{
    int c = serial_read_timeout(ESC_TIMEOUT_MS);
    if (c != '[' && c != 'O')
        return KEY_ESC;
    c = serial_read_timeout(ESC_TIMEOUT_MS);
    switch (c) {
    case 'A': return KEY_UP;
    case 'B': return KEY_DOWN;
    case 'C': return KEY_RIGHT;
    case 'D': return KEY_LEFT;
    case 'H': return KEY_HOME;
    case 'F': return KEY_END;
    default: break;
    }
    if (c >= '0' && c <= '9') {
        int code = c - '0';
        while ((c = serial_read_timeout(ESC_TIMEOUT_MS)) >= '0' && c <= '9')
            code = code * 10 + c - '0';
        if (c == '~') {
            switch (code) {
            case 1: case 7: return KEY_HOME;
            case 4: case 8: return KEY_END;
            case 3: return KEY_DELETE;
            default: break;
            }
        }
    }
    return -1; /* a sequence we do not know: ignore it */
}

/* Decodes one serial byte into a key code; -1 if it produced none. */
static int serial_key(int c)
{
    int after_cr = last_was_cr;
    last_was_cr = c == '\r';
    switch (c) {
    case '\r': return '\n';
    case '\n': return after_cr ? -1 : '\n'; /* CR LF is one Enter */
    case 0x7f: return '\b';
    case KEY_ESC: return decode_escape();
    default: return c;
    }
}

int console_getc(void)
{
    for (;;) {
        int key = keyboard_read();
        if (key >= 0)
            return key;
        int c = serial_read();
        if (c >= 0) {
            key = serial_key(c);
            if (key >= 0)
                return key;
            continue;
        }
        cpu_sti_hlt();
    }
}

int console_poll_cancel(void)
{
    if (!keyboard_cancel_pending() && !serial_cancel_pending())
        return 0;
    keyboard_flush();
    serial_flush_input();
    return 1;
}
