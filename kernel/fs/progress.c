/* The load progress bar. It redraws at most ten times a second (drawing on
 * the emulated VGA and serial port is not free) and always at 100%. */
#include "fs/progress.h"
#include "fs/fs.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "lib/printf.h"

#define BAR 24
#define REDRAW_NS 100000000ull

void fs_progress_begin(struct fs_progress *p, const char *label)
{
    p->label = label;
    p->start_ns = timer_ns();
    p->last_draw_ns = 0;
    p->end_ns = 0;
    p->line_open = 0;
}

void fs_progress_finish(struct fs_progress *p)
{
    if (p->line_open)
        kprintf("\n");
    p->line_open = 0;
}

int fs_progress_update(uint64_t done, uint64_t total, void *ctx)
{
    struct fs_progress *p = ctx;
    uint64_t now = timer_ns();
    if (done < total && now - p->last_draw_ns < REDRAW_NS)
        return console_poll_cancel();
    p->last_draw_ns = now;
    unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
    char bar[BAR + 1];
    for (int i = 0; i < BAR; i++)
        bar[i] = (unsigned)i < pct * BAR / 100 ? '#' : '.';
    bar[BAR] = 0;
    uint64_t ns = now - p->start_ns;
    /* The label is cut so the bar fits one 80-column line: '\r' can only
     * redraw the line the cursor is on. Decimal megabytes; bytes/ns x 1000 = MB/s. */
    kprintf("\r%.16s [%s] %3u%%  %.1f/%.1f MB  %.1f MB/s ", p->label, bar, pct, (double)done / 1e6,
            (double)total / 1e6, ns ? (double)done * 1e3 / (double)ns : 0.0);
    p->line_open = 1;
    if (done == total) {
        p->end_ns = now;
        fs_progress_finish(p);
    }
    return console_poll_cancel();
}
