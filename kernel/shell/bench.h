/* bench.h: what cmd_bench.c offers other commands: `cpu` shows the
 * matrix-vector kernels the engine chose (measuring them on first use). */
#ifndef SHELL_BENCH_H
#define SHELL_BENCH_H

void bench_print_kernel_choice(void);

#endif
