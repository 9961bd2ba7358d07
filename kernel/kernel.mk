# kernel.mk: compiles the kernel's own sources and links every object in
# KERNEL_OBJS (other fragments append theirs) into build/kernel/kernel.elf,
# the flat kernel.bin that stage 2 loads at 1 MiB, and the debugging aids
# kernel.dis (disassembly), kernel.map (link map) and kernel.sym (symbols).
# Other parts reuse the pattern rules: build/kernel/X.o comes from kernel/X.c
# or kernel/X.asm.
KERNEL_DIR := $(BUILD)/kernel
KERNEL_ELF := $(KERNEL_DIR)/kernel.elf
KERNEL_BIN := $(KERNEL_DIR)/kernel.bin

KERNEL_CORE_OBJS := $(addprefix $(KERNEL_DIR)/, \
	arch/x86/entry.o arch/x86/isr.o arch/x86/gdt.o arch/x86/idt.o arch/x86/pic.o \
	arch/x86/panic.o arch/x86/timer.o arch/x86/cpu.o arch/x86/paging.o arch/x86/tss.o \
	arch/x86/acpi.o arch/x86/apic.o arch/x86/smp.o arch/x86/ap_boot.o arch/x86/parallel.o \
	drivers/vga.o drivers/serial.o drivers/keyboard.o drivers/console.o drivers/power.o drivers/rtc.o \
	shell/shell.o shell/lineedit.o shell/cmd_system.o shell/cmd_crash.o \
	main.o)
KERNEL_OBJS += $(KERNEL_CORE_OBJS)

$(KERNEL_DIR)/%.o: kernel/%.c | $(SETUP)
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -Ikernel -MMD -MP -c -o $@ $<

$(KERNEL_DIR)/%.o: kernel/%.asm | $(SETUP)
	@mkdir -p $(dir $@)
	nasm -f elf32 -g -w+all -o $@ $<

# Fragments included after this one append to KERNEL_OBJS too: expand the
# list only when make needs it (second expansion), not while reading this file.
.SECONDEXPANSION:
$(KERNEL_ELF): $$(KERNEL_OBJS) kernel/linker.ld | $(SETUP)
	$(KERNEL_CC) -m32 -nostdlib -static -no-pie -Wl,-T,kernel/linker.ld -Wl,--no-warn-rwx-segments \
		-Wl,-Map,$(KERNEL_DIR)/kernel.map -o $@ $(KERNEL_OBJS) -lgcc

$(KERNEL_BIN): $(KERNEL_ELF)
	objcopy -O binary $< $@
	objdump -d -M intel $< > $(KERNEL_DIR)/kernel.dis
	nm -n $< > $(KERNEL_DIR)/kernel.sym

.PHONY: kernel
kernel: $(KERNEL_BIN)

# Header dependencies of every object compiled by the pattern rules above.
-include $(wildcard $(KERNEL_DIR)/*.d $(KERNEL_DIR)/*/*.d $(KERNEL_DIR)/*/*/*.d)
