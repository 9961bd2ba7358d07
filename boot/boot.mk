# boot.mk: the two boot stages, flat binaries assembled with NASM.
BOOT_BINS := $(BUILD)/boot/stage1.bin $(BUILD)/boot/stage2.bin

$(BUILD)/boot/%.bin: boot/%.asm boot/layout.inc | $(SETUP)
	@mkdir -p $(dir $@)
	nasm -f bin -w+all -o $@ $<
