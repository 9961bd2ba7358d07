/* shell.h: the interactive shell (prompt "myos> "). */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#define SHELL_LINE_MAX 1024 /* bytes per input line, including the NUL */
/* A line of one-character words holds at most this many: every line that
 * fits splits. */
#define SHELL_ARGS_MAX (SHELL_LINE_MAX / 2)

void shell_run(void) __attribute__((noreturn));
/* Runs one command line; returns the command's status (-1: not run). */
int shell_execute(char *line);

#endif
