/* shell.c: reads lines, splits them into arguments (whitespace separated,
 * "double quotes" group words) and runs the named command. */
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

/* Splits in place (a line of SHELL_LINE_MAX has room for every argument);
 * returns argc, or -1 with a message printed. */
static int split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return argc;
        char *out = p;
        argv[argc++] = out;
        int quoted = 0;
        for (; *p && (quoted || *p != ' '); p++) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
        }
        if (quoted) {
            kprintf("error: missing closing quote\n");
            return -1;
        }
        if (*p)
            p++;
        *out = 0;
    }
}

int shell_execute(char *line)
{
    char *argv[SHELL_ARGS_MAX + 1];
    int argc = split(line, argv);
    if (argc <= 0)
        return -1;
    argv[argc] = NULL;
    const struct shell_command *cmd = shell_find_command(argv[0]);
    if (!cmd) {
        kprintf("error: unknown command '%s' (type 'help' for the list)\n", argv[0]);
        return -1;
    }
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
