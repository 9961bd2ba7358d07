/* names.h: file names given to commands that read a folder of their own
 * (`model` in /MODELS; adapters and training data later), checked once
 * here so that none of them can name a file outside its folder. */
#ifndef AI_NAMES_H
#define AI_NAMES_H

/* NULL when `name` is one file name inside a folder; otherwise why not
 * ("is empty", "may not contain '/' or '\\'", ...). */
const char *ai_folder_name_problem(const char *name);

#endif
