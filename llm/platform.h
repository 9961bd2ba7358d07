/* platform.h: everything the inference engine needs from the world around it.
 *
 * The engine (llm/) is freestanding C99 and never includes a kernel or libc
 * header. The Linux host program (llm/host/) implements this with glibc; MyOS
 * implements it with kernel/lib. The float functions (expf ... fabsf) are
 * kernel/lib/math.c in both builds, so the host program and the OS compute the
 * same floats and generate the same tokens. Models arrive as bytes in memory
 * or as an llm_file the caller reads for the engine (llm.h): the engine
 * never opens files itself.
 */
#ifndef LLM_PLATFORM_H
#define LLM_PLATFORM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Memory: NULL when out of memory; align is a power of two <= 4096. Memory
 * the engine keeps for the whole run whatever model is loaded (its shared
 * scratch buffers) comes from llm_alloc_lasting, which the platform may
 * place away from the model-sized blocks; both are freed with llm_free. */
void *llm_alloc(size_t size, size_t align);
void *llm_alloc_lasting(size_t size, size_t align);
void llm_free(void *ptr);

/* Monotonic time in nanoseconds (the calibrated TSC in MyOS). */
uint64_t llm_time_ns(void);

/* Parallel work: fn is called on ranges [begin, end) that together cover
 * [0, n) exactly once, on up to llm_parallel_workers() CPUs or threads at
 * once, and llm_parallel_for returns when all are done. worker (<
 * llm_parallel_workers()) names the CPU or thread running the range, for
 * per-worker scratch memory. Which worker gets which range varies from run to
 * run, so fn must compute each index's results from that index alone: then
 * they never depend on the number of workers. Not nested: fn must not call
 * llm_parallel_for. */
void llm_parallel_for(uint32_t n, void (*fn)(void *ctx, uint32_t begin, uint32_t end, uint32_t worker),
                      void *ctx);
uint32_t llm_parallel_workers(void);

/* Work to do while a file read the engine asked for waits on the device:
 * the platform may call work(ctx) any number of times until the next call
 * here (work NULL: none). Each call does a small part and returns, so the
 * read notices its end soon after. MyOS runs it while the disk's DMA is in
 * flight; the host's reads do not wait that way and never call it. */
void llm_while_reading(void (*work)(void *ctx), void *ctx);

/* One diagnostic line (no trailing newline needed). */
void llm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The C library subset the engine uses, with the standard signatures. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
float expf(float x);
float logf(float x);
float sqrtf(float x);
float powf(float x, float y);
float sinf(float x);
float cosf(float x);
float tanhf(float x);
float fabsf(float x);

/* The kernel is built with -ffreestanding, which turns GCC's builtins off:
 * every memcpy of a float's bits would then be a call (a tenth of a token's
 * time under emulation). As builtins, constant-size copies become moves and
 * fabsf an and; other calls still reach the functions above. sqrtf stays a
 * call: both builds take it from kernel/lib/math.c. */
#define memcpy(dst, src, n) __builtin_memcpy(dst, src, n)
#define memset(dst, c, n) __builtin_memset(dst, c, n)
#define fabsf(x) __builtin_fabsf(x)

#endif
