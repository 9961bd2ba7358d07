/* keyboard.h: PS/2 keyboard (scancode set 1, US layout). */
#ifndef DRIVERS_KEYBOARD_H
#define DRIVERS_KEYBOARD_H

void keyboard_init(void);
/* Next key code (drivers/keys.h), or -1 when none is waiting. */
int keyboard_read(void);
void keyboard_flush(void);

/* 1 if Ctrl+C arrived since the last flush. */
int keyboard_cancel_pending(void);

#endif
