/* Error reporting inside kernel/fs: the code that detects a failure records a
 * detail line with fs_fail(); fs_error_message() shows it to the user. */
#ifndef FS_FS_ERROR_H
#define FS_FS_ERROR_H

/* Record the detail of a failure and return err (a negative FS_E* code). */
int fs_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget the previous detail; called when a new operation starts. */
void fs_clear_error(void);

#endif
