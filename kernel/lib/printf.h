/* printf.h: formatted output into a buffer, C99 semantics.
 * Conversions: d i u x X o c s p % f F e E g G; flags - 0 + space #;
 * width and precision (also *); length hh h l ll z j t.
 * Never writes past size bytes; always NUL-terminates when size > 0;
 * returns the length the full output would have (excluding the NUL). */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
