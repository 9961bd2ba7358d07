/* A progress bar for long file loads (a model): percentage, megabytes and
 * throughput, redrawn in place on the console. Ctrl+C cancels the load. */
#ifndef FS_PROGRESS_H
#define FS_PROGRESS_H

#include <stdint.h>

struct fs_progress {
    const char *label;
    uint64_t start_ns;
    uint64_t last_draw_ns;
    uint64_t end_ns;             /* set when the load completes */
    int line_open;               /* a partial bar is on screen */
};

void fs_progress_begin(struct fs_progress *p, const char *label);
/* An fs_progress_fn (ctx = struct fs_progress *): draws, returns 1 on Ctrl+C. */
int fs_progress_update(uint64_t done, uint64_t total, void *ctx);
/* After a failed or cancelled load: end the bar's line if one is on screen,
 * so an error message starts on a line of its own. */
void fs_progress_finish(struct fs_progress *p);

#endif
