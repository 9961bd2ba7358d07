/* keyboard.c: IRQ 1 handler translating PS/2 scancode set 1 (as the 8042
 * delivers it) into key codes: US layout, Shift, Caps Lock, Ctrl, and the
 * 0xe0-prefixed navigation keys. */
#include <stdint.h>
#include "drivers/keyboard.h"
#include "drivers/input.h"
#include "drivers/keys.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"

#define KBC_DATA 0x60
#define KBC_STATUS 0x64
#define SC_LSHIFT 0x2a
#define SC_RSHIFT 0x36
#define SC_CTRL 0x1d
#define SC_CAPS 0x3a
#define SC_RELEASE 0x80
#define SC_EXTENDED 0xe0

static const char normal_map[0x3a] = {
    0, KEY_ESC, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};

static const char shift_map[0x3a] = {
    0, KEY_ESC, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', '\t',
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0, 'A', 'S',
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
    'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

static struct input_ring keys;
static int shift, ctrl, caps, extended;

static int extended_key(uint8_t code)
{
    switch (code) {
    case 0x48: return KEY_UP;
    case 0x50: return KEY_DOWN;
    case 0x4b: return KEY_LEFT;
    case 0x4d: return KEY_RIGHT;
    case 0x47: return KEY_HOME;
    case 0x4f: return KEY_END;
    case 0x53: return KEY_DELETE;
    case 0x1c: return '\n';  /* keypad Enter */
    case 0x35: return '/';   /* keypad / */
    default: return -1;
    }
}

static int translate(uint8_t code)
{
    if (code >= sizeof(normal_map))
        return -1;
    char ch = normal_map[code];
    if (ch >= 'a' && ch <= 'z') {
        if (ctrl)
            return KEY_CTRL(ch);
        return (shift ^ caps) ? shift_map[code] : ch;
    }
    return shift ? shift_map[code] : ch;
}

static void keyboard_irq(struct int_frame *frame)
{
    (void)frame;
    uint8_t sc = inb(KBC_DATA);
    if (sc == SC_EXTENDED) {
        extended = 1;
        return;
    }
    int was_extended = extended;
    extended = 0;
    int release = sc & SC_RELEASE;
    uint8_t code = sc & ~SC_RELEASE;

    if (code == SC_LSHIFT || code == SC_RSHIFT) {
        if (!was_extended) /* 0xe0 0x2a is a fake shift around some keys */
            shift = !release;
        return;
    }
    if (code == SC_CTRL) { /* left (plain) or right (0xe0) Ctrl */
        ctrl = !release;
        return;
    }
    if (release)
        return;
    if (code == SC_CAPS) {
        caps = !caps;
        return;
    }
    int key = was_extended ? extended_key(code) : translate(code);
    if (key > 0)
        input_ring_put(&keys, key);
}

void keyboard_init(void)
{
    while (inb(KBC_STATUS) & 1) /* drop whatever the BIOS left behind */
        inb(KBC_DATA);
    irq_install(1, keyboard_irq);
}

int keyboard_read(void)
{
    return input_ring_get(&keys);
}

void keyboard_flush(void)
{
    input_ring_flush(&keys);
}

int keyboard_cancel_pending(void)
{
    return keys.cancel;
}
