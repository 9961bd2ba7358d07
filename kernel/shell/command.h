/* command.h: shell commands register themselves with
 *     SHELL_COMMAND(name, "one-line help", handler);
 * where `int handler(int argc, char **argv)` returns 0 on success. The macro
 * puts a descriptor in the .shell_commands.<name> linker section; the linker
 * script gathers them sorted by name. A failing command prints a line starting
 * with "error: " (the host tools look for it). */
#ifndef SHELL_COMMAND_H
#define SHELL_COMMAND_H

struct shell_command {
    const char *name;
    const char *help;
    int (*handler)(int argc, char **argv);
};

#define SHELL_COMMAND(cmd_name, help_text, fn)                                   \
    static const struct shell_command shell_command_##cmd_name                   \
        __attribute__((used, section(".shell_commands." #cmd_name), aligned(4))) = { \
            #cmd_name, help_text, fn                                             \
        }

extern const struct shell_command __shell_commands_start[];
extern const struct shell_command __shell_commands_end[];

/* NULL when no command has that name. */
const struct shell_command *shell_find_command(const char *name);

#endif
