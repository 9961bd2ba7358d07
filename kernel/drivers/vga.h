/* vga.h: the 80x25 colour text screen at 0xb8000. */
#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H
#include <stddef.h>
#include <stdint.h>

#define VGA_COLS 80
#define VGA_ROWS 25

enum vga_color {
    VGA_BLACK, VGA_BLUE, VGA_GREEN, VGA_CYAN, VGA_RED, VGA_MAGENTA, VGA_BROWN, VGA_LIGHT_GREY,
    VGA_DARK_GREY, VGA_LIGHT_BLUE, VGA_LIGHT_GREEN, VGA_LIGHT_CYAN, VGA_LIGHT_RED,
    VGA_LIGHT_MAGENTA, VGA_YELLOW, VGA_WHITE,
};

void vga_init(void);
/* The colour of text and of the blanks that clearing and scrolling leave. */
void vga_set_color(enum vga_color fg, enum vga_color bg);
/* The colour of the text written next; blanks keep the screen's colour. */
void vga_set_text_color(enum vga_color fg);
void vga_clear(void);
/* Handles \n, \r, \t and \b (cursor left, wrapping to the previous row). */
void vga_write(const char *s, size_t n);
/* One code page 437 glyph by its byte, the control range's pictures
 * included (0x02 is a smiling face): not decoded, never a control. */
void vga_write_glyph(uint8_t glyph);

#endif
