/* power.h: reboot and power off. */
#ifndef DRIVERS_POWER_H
#define DRIVERS_POWER_H
#include <stdint.h>

/* Finds the ACPI sleep registers; call before paging hides the BIOS data
 * area (the EBDA pointer lives in page 0). */
void power_init(void);
void reboot(void) __attribute__((noreturn));
/* QEMU's isa-debug-exit (port 0xf4) first: QEMU exits with status
 * (code << 1) | 1. Without that device, ACPI S5. Returns only on failure. */
void poweroff(uint8_t code);

#endif
