# kernel/llm.mk: the inference engine inside the kernel. Every engine file
# (LLM_SRCS, from llm/llm.mk) is compiled with the kernel's flags into
# build/kernel/engine/, seeing only llm/ and the compiler's freestanding
# headers (never a kernel header); kernel/llm_platform.c provides
# llm/platform.h. The `ai` family (commands, model and settings state, word
# wrap) and the VGA code page 437 mapping are kernel files that may use llm.h.
LLM_KERNEL_OBJS := $(LLM_SRCS:llm/%.c=$(BUILD)/kernel/engine/%.o)

$(BUILD)/kernel/engine/%.o: llm/%.c | $(SETUP)
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -nostdinc -isystem $(shell $(KERNEL_CC) -m32 -print-file-name=include) \
		-Illm -MMD -MP -c $< -o $@

# Freestanding check: the engine's kernel objects need nothing beyond
# llm/platform.h (no libgcc helpers such as 64-bit division on i386).
LLM_KERNEL_ALLOWED := llm_alloc llm_alloc_lasting llm_free llm_time_ns llm_log llm_parallel_for llm_parallel_workers llm_while_reading memcpy memmove memset memcmp \
	strlen strcmp snprintf vsnprintf expf logf sqrtf powf sinf cosf tanhf fabsf
$(BUILD)/kernel/engine.ok: $(LLM_KERNEL_OBJS)
	ld -m elf_i386 -r -o $(BUILD)/kernel/engine.o $^
	@bad=$$(nm -u $(BUILD)/kernel/engine.o | awk '{print $$2}' | grep -vxF $(foreach s,$(LLM_KERNEL_ALLOWED),-e $(s)) || true); \
	if [ -n "$$bad" ]; then echo "llm: freestanding build needs symbols outside platform.h: $$bad"; exit 1; fi
	@touch $@
$(KERNEL_ELF): $(BUILD)/kernel/engine.ok

AI_KERNEL_SRCS := kernel/llm_platform.c $(wildcard kernel/ai/*.c) \
	kernel/shell/cmd_ai.c kernel/shell/cmd_models.c kernel/shell/cmd_settings.c kernel/shell/cmd_train.c \
	kernel/shell/cmd_bench.c
AI_KERNEL_OBJS := $(patsubst kernel/%.c,$(BUILD)/kernel/%.o,$(AI_KERNEL_SRCS))
# Compiled by kernel.mk's pattern rule, with the engine's public header too;
# main.c as well, which reads the saved ai settings at boot (ai/settings.h).
$(AI_KERNEL_OBJS) $(BUILD)/kernel/main.o: KERNEL_CFLAGS += -Illm
# parallel.c hands out work by the engine's protocol (llm/handout.h).
$(BUILD)/kernel/arch/x86/parallel.o: KERNEL_CFLAGS += -Illm

AI_ALL_OBJS := $(LLM_KERNEL_OBJS) $(AI_KERNEL_OBJS) \
	$(BUILD)/kernel/drivers/cp437.o $(BUILD)/kernel/drivers/cp437_table.o
KERNEL_OBJS += $(AI_ALL_OBJS)
# kernel.mk was read before this fragment: its link rule's prerequisite list
# does not have these objects yet (its recipe links the full KERNEL_OBJS).
$(KERNEL_ELF): $(AI_ALL_OBJS)

-include $(AI_ALL_OBJS:.o=.d)

# Host harnesses for the word wrap and the code page 437 decoder (tests/ai/).
$(BUILD)/tests/ai/wrap_harness: tests/ai/wrap_harness.c kernel/ai/wrap.c kernel/ai/wrap.h | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Ikernel tests/ai/wrap_harness.c kernel/ai/wrap.c -o $@
$(BUILD)/tests/ai/cp437_harness: tests/ai/cp437_harness.c kernel/drivers/cp437.c kernel/drivers/cp437_table.c \
		kernel/drivers/cp437.h | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Ikernel $(filter %.c,$^) -o $@
TEST_PROGRAMS += $(BUILD)/tests/ai/wrap_harness $(BUILD)/tests/ai/cp437_harness
