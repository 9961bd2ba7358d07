/* serial.h: COM1 at 115200 8N1, the second console. */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H
#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n); /* \n goes out as \r\n */
/* Next received byte, or -1 when none is waiting. */
int serial_read(void);
void serial_flush_input(void);

/* 1 if Ctrl+C arrived since the last flush. */
int serial_cancel_pending(void);

#endif
