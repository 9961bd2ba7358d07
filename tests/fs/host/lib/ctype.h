/* Host build of kernel/fs: the kernel's lib/ctype.h is the C library's. */
#include <ctype.h>
