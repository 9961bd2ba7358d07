/* rtc.c: reads the MC146818 CMOS clock, handling BCD or binary and 12/24-hour
 * formats, and reading twice until two reads agree (the clock may tick
 * mid-read). Also supplies the filesystem's timestamps (fs_clock_now). */
#include "drivers/rtc.h"
#include "arch/x86/io.h"
#include "fs/fs.h"
#include "lib/string.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define REG_STATUS_A 0x0a
#define REG_STATUS_B 0x0b
#define STATUS_A_UPDATING 0x80
#define STATUS_B_BINARY 0x04
#define STATUS_B_24H 0x02

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static void read_raw(uint8_t r[7])
{
    for (int spins = 0; (cmos(REG_STATUS_A) & STATUS_A_UPDATING) && spins < 100000; spins++)
        ;
    static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };
    for (int i = 0; i < 7; i++)
        r[i] = cmos(regs[i]);
}

static uint8_t from_bcd(uint8_t v)
{
    return (uint8_t)((v >> 4) * 10 + (v & 0x0f));
}

void rtc_read(struct rtc_time *t)
{
    uint8_t a[7], b[7];
    read_raw(a);
    for (int tries = 0; tries < 5; tries++) {
        read_raw(b);
        if (memcmp(a, b, sizeof(a)) == 0)
            break;
        memcpy(a, b, sizeof(a));
    }
    uint8_t status = cmos(REG_STATUS_B);
    int pm = !(status & STATUS_B_24H) && (b[2] & 0x80);
    b[2] &= 0x7f;
    if (!(status & STATUS_B_BINARY)) {
        for (int i = 0; i < 7; i++)
            b[i] = from_bcd(b[i]);
    }
    uint8_t hour = b[2];
    if (!(status & STATUS_B_24H))
        hour = (uint8_t)(hour % 12 + (pm ? 12 : 0));
    t->second = b[0];
    t->minute = b[1];
    t->hour = hour;
    t->day = b[3];
    t->month = b[4];
    t->year = (uint16_t)((b[6] ? b[6] : 20) * 100 + b[5]); /* 0x32: century, if kept */
}

void fs_clock_now(struct fs_time *t)
{
    struct rtc_time now;
    rtc_read(&now);
    t->year = now.year;
    t->month = now.month;
    t->day = now.day;
    t->hour = now.hour;
    t->minute = now.minute;
    t->second = now.second;
}
