/* names.c: the one check of names.h. A name is a single path component: no
 * separator of either kind (the filesystem accepts both), and not "." or
 * "..", which would name the folder itself or its parent. */
#include "ai/names.h"
#include "ai/settings.h"
#include "lib/string.h"

const char *ai_folder_name_problem(const char *name)
{
    if (!name[0])
        return "is empty";
    if (strlen(name) >= AI_MODEL_NAME_MAX)
        return "is too long";
    if (strchr(name, '/') || strchr(name, '\\'))
        return "may not contain '/' or '\\' (only a file of the folder itself can be named)";
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return "names a folder, not a file";
    return NULL;
}
