/* cp437.h: UTF-8 text shown on the VGA text screen, whose font is code page
 * 437. A character with a CP437 glyph (é, ü, ñ, box drawing, ...) becomes
 * that byte; any other character, and malformed UTF-8, becomes a placeholder
 * glyph. ASCII passes through unchanged. */
#ifndef DRIVERS_CP437_H
#define DRIVERS_CP437_H
#include <stdint.h>

#define CP437_PLACEHOLDER 0xfe /* a small filled square */

struct cp437_glyph {
    uint16_t codepoint;
    uint8_t byte;
};
extern const struct cp437_glyph cp437_glyphs[128]; /* cp437_table.c, generated */

/* The CP437 byte for a code point (ASCII as is), CP437_PLACEHOLDER if none. */
uint8_t cp437_from_unicode(uint32_t cp);

/* Incremental UTF-8 decoding: the text may arrive in pieces. */
struct utf8_decoder {
    uint32_t cp;   /* bits collected so far */
    uint32_t min;  /* smallest code point the sequence may encode (no overlongs) */
    int need;      /* continuation bytes still expected */
};

/* Feeds one byte; writes the glyphs now complete into out (0, 1 or 2: a
 * broken sequence's placeholder and the byte that broke it) and returns how
 * many. */
int cp437_feed(struct utf8_decoder *d, uint8_t byte, uint8_t out[2]);

#endif
