/* args.h: the words of a command line after the command, joined again. */
#ifndef AI_ARGS_H
#define AI_ARGS_H
#include <stddef.h>

/* argv[1..argc) joined by single spaces into out (cap bytes, NUL included);
 * returns the length, or -1 when it does not fit. */
int ai_join_args(int argc, char **argv, char *out, size_t cap);

#endif
