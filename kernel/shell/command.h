/* command.h: shell commands register themselves with
 *     SHELL_COMMAND(name, "one-line help", handler);
 * or, for a command whose last argument is free text,
 *     SHELL_TEXT_COMMAND(name, words, "one-line help", handler);
 * where `int handler(int argc, char **argv)` returns 0 on success. The macro
 * puts a descriptor in the .shell_commands.<name> linker section; the linker
 * script gathers them sorted by name. A failing command prints a line starting
 * with "error: " (the host tools look for it).
 *
 * Arguments are split at spaces and tabs, "double quotes" grouping words. A
 * text command gets `words` arguments split that way, then the rest of the
 * line as one more argument, byte for byte: quotes, tabs, backslashes and
 * repeated, leading or trailing spaces included. Only the one space (or tab)
 * that ends the word before the text is dropped. With nothing after that space, the text
 * argument is absent (argc counts only the words). */
#ifndef SHELL_COMMAND_H
#define SHELL_COMMAND_H

struct shell_command {
    const char *name;
    const char *help;
    int (*handler)(int argc, char **argv);
    int text_after; /* words split before the free text; -1: no free text */
};

#define SHELL_COMMAND_ENTRY(cmd_name, help_text, fn, text_words)                 \
    static const struct shell_command shell_command_##cmd_name                   \
        __attribute__((used, section(".shell_commands." #cmd_name), aligned(4))) = { \
            #cmd_name, help_text, fn, text_words                                 \
        }
#define SHELL_COMMAND(cmd_name, help_text, fn) SHELL_COMMAND_ENTRY(cmd_name, help_text, fn, -1)
#define SHELL_TEXT_COMMAND(cmd_name, words, help_text, fn)                       \
    SHELL_COMMAND_ENTRY(cmd_name, help_text, fn, words)

extern const struct shell_command __shell_commands_start[];
extern const struct shell_command __shell_commands_end[];

/* NULL when no command has that name. */
const struct shell_command *shell_find_command(const char *name);

#endif
