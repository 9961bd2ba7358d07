/* vga.h: the 80x25 colour text screen at 0xb8000. */
#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H
#include <stddef.h>

#define VGA_COLS 80
#define VGA_ROWS 25

enum vga_color {
    VGA_BLACK, VGA_BLUE, VGA_GREEN, VGA_CYAN, VGA_RED, VGA_MAGENTA, VGA_BROWN, VGA_LIGHT_GREY,
    VGA_DARK_GREY, VGA_LIGHT_BLUE, VGA_LIGHT_GREEN, VGA_LIGHT_CYAN, VGA_LIGHT_RED,
    VGA_LIGHT_MAGENTA, VGA_YELLOW, VGA_WHITE,
};

void vga_init(void);
void vga_set_color(enum vga_color fg, enum vga_color bg);
void vga_clear(void);
/* Handles \n, \r, \t and \b (cursor left, wrapping to the previous row). */
void vga_write(const char *s, size_t n);

#endif
