/* cmd_crash.c: `crash divide|opcode|null|stack` raises a CPU exception on
 * purpose, to show (and test) the panic screen. */
#include "shell/command.h"
#include "drivers/console.h"
#include "lib/string.h"

/* Recursion the compiler cannot turn into a loop or prove endless. */
static volatile int keep_recursing = 1;

static int __attribute__((noinline)) recurse(int depth)
{
    volatile char frame[512];
    frame[depth & 511] = (char)depth;
    if (keep_recursing)
        return recurse(depth + 1) + frame[0];
    return frame[0];
}

static int cmd_crash(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "divide") == 0) {
        /* In asm: C would let the compiler fold or reshape the division. */
        unsigned lo = 1, hi = 0, zero = 0;
        __asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
        return (int)lo;
    }
    if (argc == 2 && strcmp(argv[1], "opcode") == 0) {
        __asm__ volatile("ud2");
    }
    if (argc == 2 && strcmp(argv[1], "null") == 0) {
        int *volatile null = 0; /* volatile: the compiler cannot prove it is NULL */
        return *null;
    }
    if (argc == 2 && strcmp(argv[1], "stack") == 0)
        return recurse(0);
    kprintf("error: usage: crash divide|opcode|null|stack\n");
    return 1;
}
SHELL_COMMAND(crash, "raise a CPU exception: divide|opcode|null|stack", cmd_crash);
