/* shell.c: reads lines, splits them into arguments (space or tab separated,
 * "double quotes" group words; a text command's free text kept as typed, see
 * command.h) and runs the named command. */
#include "shell/shell.h"
#include "shell/command.h"
#include "shell/lineedit.h"
#include "drivers/console.h"
#include "lib/string.h"

#define PROMPT "myos> "

const struct shell_command *shell_find_command(const char *name)
{
    for (const struct shell_command *c = __shell_commands_start; c < __shell_commands_end; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static int is_separator(char c)
{
    return c == ' ' || c == '\t';
}

/* The next word at *p, in place: leading separators skipped, "quotes"
 * removed, the word NUL-terminated and *p moved past the one separator that
 * ended it.
 * Returns 1 with *word set, 0 at the end of the line, -1 (message printed)
 * for an unclosed quote. */
static int next_word(char **p, char **word)
{
    char *in = *p;
    while (is_separator(*in))
        in++;
    if (!*in)
        return 0;
    char *out = in;
    *word = out;
    int quoted = 0;
    for (; *in && (quoted || !is_separator(*in)); in++) {
        if (*in == '"')
            quoted = !quoted;
        else
            *out++ = *in;
    }
    if (quoted) {
        kprintf("error: missing closing quote\n");
        return -1;
    }
    if (*in)
        in++; /* the separator; `out` is behind it, so the NUL never lands on the rest */
    *out = 0;
    *p = in;
    return 1;
}

/* Splits line into argv for cmd (command.h: words, then a text command's
 * free text as it stands); returns argc, or -1 with a message printed.
 * argv[0] is already split. A line of SHELL_LINE_MAX has room for every
 * argument. */
static int split_arguments(const struct shell_command *cmd, char *rest, char **argv)
{
    int argc = 1, r;
    while ((cmd->text_after < 0 || argc <= cmd->text_after) && (r = next_word(&rest, &argv[argc])) != 0) {
        if (r < 0)
            return -1;
        argc++;
    }
    if (cmd->text_after >= 0 && argc == cmd->text_after + 1 && *rest)
        argv[argc++] = rest;
    return argc;
}

int shell_execute(char *line)
{
    char *argv[SHELL_ARGS_MAX + 1];
    char *rest = line;
    if (next_word(&rest, &argv[0]) <= 0)
        return -1;
    const struct shell_command *cmd = shell_find_command(argv[0]);
    if (!cmd) {
        kprintf("error: unknown command '%s' (type 'help' for the list)\n", argv[0]);
        return -1;
    }
    int argc = split_arguments(cmd, rest, argv);
    if (argc < 0)
        return -1;
    argv[argc] = NULL;
    return cmd->handler(argc, argv);
}

void shell_run(void)
{
    static char line[SHELL_LINE_MAX];
    for (;;) {
        switch (lineedit_read(PROMPT, line, sizeof(line))) {
        case LINE_OK:
            shell_execute(line);
            break;
        case LINE_TOO_LONG:
            kprintf("error: input line too long (at most %d characters), ignored\n",
                    SHELL_LINE_MAX - 1);
            break;
        case LINE_CANCELLED:
            break;
        }
    }
}
