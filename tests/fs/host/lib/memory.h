/* Host build of kernel/fs: the kernel heap API mapped onto the C library's. */
#include <stdlib.h>
#define kmalloc malloc
#define kfree free
#define kcalloc calloc
#define krealloc realloc
#define kaligned_alloc_lasting(align, size) kaligned_alloc((align), (size))
#define kaligned_alloc(align, size) aligned_alloc((align), ((size) + (align) - 1) / (align) * (align))
