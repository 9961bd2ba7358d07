/* Host build of kernel/fs: the kernel's lib/string.h is the C library's. */
#include <string.h>
#include <stdlib.h>
