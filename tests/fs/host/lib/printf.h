/* Host build of kernel/fs: the kernel's lib/printf.h is the C library's. */
#include <stdio.h>
