/* cmd_crash.c: `crash divide|opcode|null` raises a CPU exception on purpose,
 * to show (and test) the panic screen. */
#include "shell/command.h"
#include "drivers/console.h"
#include "lib/string.h"

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
    kprintf("error: usage: crash divide|opcode|null\n");
    return 1;
}
SHELL_COMMAND(crash, "raise a CPU exception: divide|opcode|null", cmd_crash);
