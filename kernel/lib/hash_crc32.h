/* CRC-32 (IEEE 802.3, reflected, the one zlib, gzip and `crc32` compute). */
#ifndef LIB_HASH_CRC32_H
#define LIB_HASH_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0; feeding data in pieces gives the same
 * result as all at once (zlib.crc32 semantics). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

#endif
