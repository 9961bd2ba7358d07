# llm.mk: the inference engine. LLM_SRCS are the portable engine files (every
# llm/*.c, whoever owns it); they build for the host into build/host/llm/ and,
# as a check that they stay freestanding and 32-bit clean, for the kernel.
LLM_SRCS := $(sort $(wildcard llm/*.c))
LLM_HOST_OBJS := $(LLM_SRCS:%.c=$(BUILD)/host/%.o)
LLM_HOST_PLATFORM := $(BUILD)/host/llm/host/platform_host.o
# No math builtins: GCC would fold constant calls with its own exact
# arithmetic and fuse sinf+cosf into glibc's sincosf, while the kernel build
# (freestanding) calls kernel/lib/math.c every time; the tokens would differ.
LLM_NO_MATH_BUILTINS := $(foreach f,expf logf powf sinf cosf tanhf,-fno-builtin-$(f))
LLM_HOST_CFLAGS := $(HOST_CFLAGS) $(LLM_NO_MATH_BUILTINS) -Illm -MMD -MP

$(BUILD)/host/llm/%.o: llm/%.c | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(LLM_HOST_CFLAGS) -c $< -o $@

# Host test harnesses and fuzz targets link $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM).
MYOS_LLM := $(BUILD)/host/myos-llm
# The float math the engine calls is kernel/lib/math.c in both builds (not
# glibc's here), so the host program and the OS generate the same tokens.
LLM_HOST_MATH := $(BUILD)/host/kernel/lib/math.o
$(LLM_HOST_MATH): kernel/lib/math.c kernel/lib/math.h | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -O2 -g -msse2 -mfpmath=sse -ffp-contract=off -fno-builtin -Wall -Wextra -Werror \
		-Ikernel -c $< -o $@
$(MYOS_LLM): $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) $(BUILD)/host/llm/host/main.o $(LLM_HOST_MATH)
	$(HOST_CC) $(HOST_CFLAGS) $^ -o $@ -lm
HOST_PROGRAMS += $(MYOS_LLM)

# Freestanding check: every engine file compiles with the kernel's flags and
# no libc headers, and the linked objects need nothing beyond llm/platform.h
# (no libgcc helpers such as 64-bit division on i386).
LLM_KCHECK_OBJS := $(LLM_SRCS:%.c=$(BUILD)/kcheck/%.o)
LLM_KCHECK_ALLOWED := llm_alloc llm_alloc_lasting llm_free llm_time_ns llm_log llm_parallel_for llm_parallel_workers \
	memcpy memmove memset memcmp \
	strlen strcmp strncmp snprintf vsnprintf expf logf sqrtf powf sinf cosf tanhf floorf fabsf
$(BUILD)/kcheck/llm/%.o: llm/%.c | $(SETUP)
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -nostdinc -isystem $(shell $(KERNEL_CC) -m32 -print-file-name=include) \
		-Illm -MMD -MP -c $< -o $@
$(BUILD)/kcheck/llm.ok: $(LLM_KCHECK_OBJS)
	ld -m elf_i386 -r -o $(BUILD)/kcheck/llm.o $^
	@bad=$$(nm -u $(BUILD)/kcheck/llm.o | awk '{print $$2}' | grep -vxF $(foreach s,$(LLM_KCHECK_ALLOWED),-e $(s)) || true); \
	if [ -n "$$bad" ]; then echo "llm: freestanding build needs symbols outside platform.h: $$bad"; exit 1; fi
	@touch $@

.PHONY: llm-kernel-check
llm-kernel-check: $(BUILD)/kcheck/llm.ok
TEST_PROGRAMS += $(BUILD)/kcheck/llm.ok

-include $(LLM_HOST_OBJS:.o=.d) $(LLM_KCHECK_OBJS:.o=.d) $(LLM_HOST_PLATFORM:.o=.d)
