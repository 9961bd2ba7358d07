/* keys.h: key codes delivered by console_getc(). Printable keys are their
 * ASCII code; Enter is '\n', Backspace '\b', Ctrl+<letter> its control code
 * (Ctrl+C = 3, Ctrl+L = 12); special keys are above 0xff. */
#ifndef DRIVERS_KEYS_H
#define DRIVERS_KEYS_H

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 0x1b
#define KEY_UP 0x100
#define KEY_DOWN 0x101
#define KEY_LEFT 0x102
#define KEY_RIGHT 0x103
#define KEY_HOME 0x104
#define KEY_END 0x105
#define KEY_DELETE 0x106

#endif
