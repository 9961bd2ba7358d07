/* cp437.c: UTF-8 decoding and the Unicode -> code page 437 lookup for the VGA
 * text screen (the table itself is generated into cp437_table.c). */
#include "drivers/cp437.h"

uint8_t cp437_from_unicode(uint32_t cp)
{
    if (cp < 0x80)
        return (uint8_t)cp;
    int lo = 0, hi = (int)(sizeof cp437_glyphs / sizeof cp437_glyphs[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp437_glyphs[mid].codepoint == cp)
            return cp437_glyphs[mid].byte;
        if (cp437_glyphs[mid].codepoint < cp)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return CP437_PLACEHOLDER;
}

/* Starts a sequence at `byte`; returns the glyph count it completes now. */
static int start(struct utf8_decoder *d, uint8_t byte, uint8_t *out)
{
    if (byte < 0x80) {
        *out = byte;
        return 1;
    }
    if ((byte & 0xe0) == 0xc0) {
        d->cp = byte & 0x1f;
        d->need = 1;
        d->min = 0x80;
    } else if ((byte & 0xf0) == 0xe0) {
        d->cp = byte & 0x0f;
        d->need = 2;
        d->min = 0x800;
    } else if ((byte & 0xf8) == 0xf0) {
        d->cp = byte & 0x07;
        d->need = 3;
        d->min = 0x10000;
    } else {
        *out = CP437_PLACEHOLDER; /* a stray continuation byte or 0xf8..0xff */
        return 1;
    }
    return 0;
}

int cp437_feed(struct utf8_decoder *d, uint8_t byte, uint8_t out[2])
{
    if (d->need == 0)
        return start(d, byte, out);
    if ((byte & 0xc0) != 0x80) {
        /* The sequence broke off: a placeholder for it, then this byte anew. */
        d->need = 0;
        out[0] = CP437_PLACEHOLDER;
        return 1 + start(d, byte, out + 1);
    }
    d->cp = d->cp << 6 | (byte & 0x3f);
    if (--d->need > 0)
        return 0;
    int valid = d->cp >= d->min && d->cp <= 0x10ffff && (d->cp < 0xd800 || d->cp > 0xdfff);
    out[0] = valid ? cp437_from_unicode(d->cp) : CP437_PLACEHOLDER;
    return 1;
}
