/* boot_info.h: what stage 2 hands the kernel (layout must match
 * boot/stage2.asm and boot/layout.inc). Stage 2 jumps to the kernel with
 * EAX = BOOT_INFO_MAGIC and EBX = the structure's address. */
#ifndef BOOT_INFO_H
#define BOOT_INFO_H
#include <stdint.h>

#define BOOT_INFO_MAGIC 0x534f594du /* "MYOS" */
#define E820_MAX 64

enum e820_type {
    E820_USABLE = 1,
    E820_RESERVED = 2,
    E820_ACPI_RECLAIM = 3,
    E820_ACPI_NVS = 4,
    E820_BAD = 5,
};

struct e820_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;
    uint32_t attributes;
} __attribute__((packed));

struct boot_info {
    uint32_t magic;
    uint32_t boot_drive;     /* BIOS drive number, 0x80 = first hard disk */
    uint32_t kernel_sectors; /* kernel size on disk, in 512-byte sectors */
    uint32_t e820_count;
    struct e820_entry e820[E820_MAX];
} __attribute__((packed));

/* The kernel's copy, filled in by main.c before anything else runs. */
extern struct boot_info boot_info;

#endif
