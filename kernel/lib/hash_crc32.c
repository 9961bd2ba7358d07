/* CRC-32 with the slicing-by-8 method: eight 256-entry tables let the loop
 * consume 8 bytes per step, which matters when checking a 100 MB model. The
 * tables are computed from the polynomial on first use. */
#include "lib/hash_crc32.h"

#define POLY 0xEDB88320u     /* 0x04C11DB7 bit-reversed */

static uint32_t table[8][256];
static int ready;

static void init_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (c & 1 ? POLY : 0);
        table[0][i] = c;
    }
    /* table[k][i]: CRC of byte i followed by k zero bytes. */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xFF];
    ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n)
{
    if (!ready)
        init_tables();
    const uint8_t *p = data;
    crc = ~crc;
    for (; n && ((uintptr_t)p & 3); n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = table[7][lo & 0xFF] ^ table[6][lo >> 8 & 0xFF] ^ table[5][lo >> 16 & 0xFF] ^ table[4][lo >> 24] ^
              table[3][hi & 0xFF] ^ table[2][hi >> 8 & 0xFF] ^ table[1][hi >> 16 & 0xFF] ^ table[0][hi >> 24];
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}
