/* cmd_settings.c: `set` (show or change a setting of the ai commands) and
 * `system` (show, set or restore the system prompt); both are saved in /MYOS/. */
#include "shell/command.h"
#include "ai/settings.h"
#include "net/server.h"
#include "drivers/console.h"
#include "lib/string.h"

static int cmd_set(int argc, char **argv)
{
    if (argc == 1) {
        ai_settings_show();
        return 0;
    }
    if (argc != 3) {
        kprintf("error: usage: set [NAME VALUE] (type 'set' for the list)\n");
        return -1;
    }
    /* Not saved on the disk: a secret, for this boot's `serve` only. */
    if (!strcmp(argv[1], "api_key")) {
        server_set_api_key(strcmp(argv[2], "none") ? argv[2] : NULL);
        kprintf(strcmp(argv[2], "none") ? "api_key set: requests to /v1/ need it\n" : "api_key removed\n");
        return 0;
    }
    return ai_settings_set(argv[1], argv[2]);
}
SHELL_COMMAND(set, "set [NAME VALUE]: show or change the ai settings (and api_key KEY|none)", cmd_set);

static int cmd_system(int argc, char **argv)
{
    struct ai_settings *st = ai_settings();
    if (argc == 1) {
        kprintf("%s\n", st->has_system ? st->system : "(the model's default system prompt)");
        return 0;
    }
    if (!strcmp(argv[1], "default"))
        return ai_settings_set_system(NULL);
    if (strlen(argv[1]) >= AI_SYSTEM_MAX) {
        kprintf("error: system prompt too long (at most %d bytes)\n", AI_SYSTEM_MAX - 1);
        return -1;
    }
    return ai_settings_set_system(argv[1]);
}
SHELL_TEXT_COMMAND(system, 0, "system [TEXT|default]: show or set the system prompt", cmd_system);
