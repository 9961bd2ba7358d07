/* bytes.h: little-endian words read from byte arrays. Model files,
 * prepared-weight files and the digest's input are little-endian whatever
 * the CPU; spelled byte by byte, which the compiler turns into one load on
 * x86 (under emulation vocabularies and weight blocks are read this way
 * hundreds of thousands of times per load). */
#ifndef LLM_BYTES_H
#define LLM_BYTES_H

#include <stdint.h>

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

#endif
