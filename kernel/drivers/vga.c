/* vga.c: text-mode console: colours, scrolling, and the hardware cursor
 * (CRT controller registers 0x0e/0x0f) kept on the write position. Text has
 * its own colour (attr); cleared and scrolled-in cells take the screen's
 * (blank_attr), so a coloured line never leaves coloured blanks behind. */
#include <stdint.h>
#include "drivers/vga.h"
#include "drivers/cp437.h"
#include "arch/x86/io.h"

#define VGA_MEMORY ((volatile uint16_t *)0xb8000)
#define CRTC_INDEX 0x3d4
#define CRTC_DATA 0x3d5

static int row, col;
static uint8_t attr = VGA_LIGHT_GREY | (VGA_BLACK << 4);
static uint8_t blank_attr = VGA_LIGHT_GREY | (VGA_BLACK << 4);

static void move_cursor(void)
{
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);
    outb(CRTC_INDEX, 0x0f);
    outb(CRTC_DATA, pos & 0xff);
    outb(CRTC_INDEX, 0x0e);
    outb(CRTC_DATA, pos >> 8);
}

static void clear_row(int r)
{
    for (int c = 0; c < VGA_COLS; c++)
        VGA_MEMORY[r * VGA_COLS + c] = (uint16_t)(blank_attr << 8 | ' ');
}

static void scroll(void)
{
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        VGA_MEMORY[i] = VGA_MEMORY[i + VGA_COLS];
    clear_row(VGA_ROWS - 1);
    row = VGA_ROWS - 1;
}

void vga_init(void)
{
    outb(CRTC_INDEX, 0x0a); /* cursor start scanline 13, cursor enabled */
    outb(CRTC_DATA, 13);
    outb(CRTC_INDEX, 0x0b); /* cursor end scanline 14 */
    outb(CRTC_DATA, 14);
    vga_clear();
}

void vga_set_color(enum vga_color fg, enum vga_color bg)
{
    attr = blank_attr = (uint8_t)(fg | bg << 4);
}

void vga_set_text_color(enum vga_color fg)
{
    attr = (uint8_t)((attr & 0xf0) | fg);
}

void vga_clear(void)
{
    for (int r = 0; r < VGA_ROWS; r++)
        clear_row(r);
    row = col = 0;
    move_cursor();
}

/* After a move: past the last column is the next row, past the last row
 * scrolls. */
static void settle(void)
{
    if (col >= VGA_COLS) {
        col = 0;
        row++;
    }
    if (row >= VGA_ROWS)
        scroll();
}

/* One glyph at the write position, which then moves on. */
static void put_cell(uint8_t glyph)
{
    VGA_MEMORY[row * VGA_COLS + col] = (uint16_t)(attr << 8 | glyph);
    col++;
    settle();
}

static void put(char ch)
{
    switch (ch) {
    case '\n':
        col = 0;
        row++;
        break;
    case '\r':
        col = 0;
        break;
    case '\t':
        col = (col + 8) & ~7;
        break;
    case '\b':
        if (col > 0) {
            col--;
        } else if (row > 0) {
            row--;
            col = VGA_COLS - 1;
        }
        break;
    default:
        put_cell((uint8_t)ch);
        return;
    }
    settle();
}

/* Text is UTF-8; the screen's font is code page 437 (drivers/cp437.h). */
void vga_write(const char *s, size_t n)
{
    static struct utf8_decoder utf8;
    for (size_t i = 0; i < n; i++) {
        uint8_t glyphs[2];
        int count = cp437_feed(&utf8, (uint8_t)s[i], glyphs);
        for (int k = 0; k < count; k++)
            put((char)glyphs[k]);
    }
    move_cursor();
}

void vga_write_glyph(uint8_t glyph)
{
    put_cell(glyph);
    move_cursor();
}
