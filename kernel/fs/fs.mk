# Storage: FAT32 filesystem (kernel/fs), ATA and PCI drivers, the fs shell
# commands. The filesystem core is portable C and is also built into a host
# harness (build/tests/fat_host) that tests it against disk images made by mtools.
FS_CORE_SRCS := kernel/fs/fs.c kernel/fs/fs_error.c kernel/fs/fs_whole.c kernel/fs/mbr.c \
	kernel/fs/fat32_mount.c kernel/fs/fat32_table.c kernel/fs/fat32_name.c \
	kernel/fs/fat32_dir.c kernel/fs/fat32_file.c kernel/fs/fat32_recover.c
FS_HEADERS := $(wildcard kernel/fs/*.h) kernel/drivers/blockdev.h

# Kernel-only parts: drivers, boot-time mount, progress bar, commands (the
# kernel's drivers/rtc.c provides fs_clock_now).
FS_KERNEL_SRCS := $(FS_CORE_SRCS) kernel/fs/storage.c kernel/fs/progress.c \
	kernel/drivers/ata.c kernel/drivers/pci.c kernel/lib/hash_crc32.c kernel/lib/hash_sha256.c \
	kernel/shell/cmd_fs.c
# Compiled by kernel.mk's pattern rule for build/kernel/%.o.
KERNEL_OBJS += $(patsubst kernel/%.c,$(BUILD)/kernel/%.o,$(FS_KERNEL_SRCS))

# Host harness: tests/fs/host/lib maps the kernel's lib headers onto libc.
$(BUILD)/tests/fat_host: tests/fs/fat_host.c $(FS_CORE_SRCS) $(FS_HEADERS) $(wildcard tests/fs/host/lib/*.h) | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Itests/fs/host -Ikernel tests/fs/fat_host.c $(FS_CORE_SRCS) -o $@
TEST_PROGRAMS += $(BUILD)/tests/fat_host

$(BUILD)/tests/hash_host: tests/fs/hash_host.c kernel/lib/hash_crc32.c kernel/lib/hash_sha256.c \
		kernel/lib/hash_crc32.h kernel/lib/hash_sha256.h | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Itests/fs/host -Ikernel $(filter %.c,$^) -o $@
TEST_PROGRAMS += $(BUILD)/tests/hash_host
