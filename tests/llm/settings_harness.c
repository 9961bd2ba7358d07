/* settings_harness.c: drives llm/settings.c from tests/llm/test_settings.py.
 *
 * stdin: one "NAME VALUE" per line (VALUE is the rest of the line). stdout,
 * one line each: "ok BITS SHOWN" with the stored value's bits in hex (a
 * float's, or the integer itself) and the value as `set` shows it, or
 * "error MESSAGE" as the shell would print it after "error: ".
 */
#include <stdio.h>
#include <string.h>

#include "llm.h"

int main(void)
{
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *value = strchr(line, ' ');
        if (!value) {
            printf("error no value\n");
            continue;
        }
        *value++ = 0;
        const struct llm_setting *st = llm_setting_find(llm_session_settings, line);
        if (!st) {
            printf("error unknown setting '%s'\n", line);
            continue;
        }
        struct llm_settings set;
        char err[200], shown[LLM_SETTING_TEXT_MAX];
        llm_settings_default(&set);
        if (llm_setting_parse(st, value, NULL, &set, err, sizeof err) != 0) {
            printf("error %s\n", err);
            continue;
        }
        const char *at = (const char *)&set + st->offset;
        unsigned long long bits = 0;
        memcpy(&bits, at, st->type == LLM_SETTING_U64 ? 8 : 4);
        llm_setting_format(st, &set, shown, sizeof shown);
        printf("ok %llx %s\n", bits, shown);
    }
    return 0;
}
