# llm.mk: the inference engine. LLM_SRCS are the portable engine files: the
# story at the top (generate, model, attention, ops, sampler, loading, the
# settings table) listed here, each folder's files in its own fragment. They
# build once for the host (build/host/llm/, linked into myos-llm and the test
# harnesses) and once for the kernel (kernel/llm.mk, which also checks that
# they stay freestanding).
LLM_SRCS := $(addprefix llm/,generate.c model.c arch.c attention.c attention_avx2.c ops.c sampler.c \
	load.c repack_model.c profile.c parallel_check.c handout.c settings.c buffers.c)
include llm/formats/formats.mk
include llm/text/text.mk
include llm/matmul/matmul.mk
include llm/train/train.mk
# No math builtins: GCC would fold constant calls with its own exact
# arithmetic and fuse sinf+cosf into glibc's sincosf, while the kernel build
# (freestanding) calls kernel/lib/math.c every time; the tokens would differ.
LLM_NO_MATH_BUILTINS := $(foreach f,expf logf powf sinf cosf tanhf,-fno-builtin-$(f))

# Host builds of the engine, each compiled once into build/VARIANT/llm/ (with
# the host platform, llm/host/platform_host.c) and linked by whatever needs
# it: LLM_OBJS_<variant>. host: native, for myos-llm and most harnesses;
# host32: 32-bit SSE2 floats as in the kernel (size_t is 32-bit there too);
# san and san32: the same with AddressSanitizer and UBSan.
LLM_32_CFLAGS := -m32 -msse2 -mfpmath=sse $(filter-out -march=native,$(HOST_CFLAGS))
LLM_SAN := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
LLM_VARIANT_CFLAGS_host := $(HOST_CFLAGS)
LLM_VARIANT_CFLAGS_host32 := $(LLM_32_CFLAGS)
LLM_VARIANT_CFLAGS_san := $(HOST_CFLAGS) $(LLM_SAN)
LLM_VARIANT_CFLAGS_san32 := $(LLM_32_CFLAGS) $(LLM_SAN)
define LLM_VARIANT
LLM_OBJS_$(1) := $$(LLM_SRCS:%.c=$(BUILD)/$(1)/%.o) $(BUILD)/$(1)/llm/host/platform_host.o
$(BUILD)/$(1)/llm/%.o: llm/%.c | $$(SETUP)
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(LLM_VARIANT_CFLAGS_$(1)) $$(LLM_NO_MATH_BUILTINS) -Illm -MMD -MP -c $$< -o $$@
-include $$(LLM_OBJS_$(1):.o=.d)
endef
$(foreach v,host host32 san san32,$(eval $(call LLM_VARIANT,$(v))))
# The native objects without the platform, for programs that bring their own.
# The platform's parallel_for follows the engine's hand-out protocol, so a
# program that links the platform alone gets that part too.
LLM_HOST_PLATFORM := $(BUILD)/host/llm/host/platform_host.o $(BUILD)/host/llm/handout.o
LLM_HOST_OBJS := $(filter-out $(LLM_HOST_PLATFORM),$(LLM_OBJS_host))

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

-include $(BUILD)/host/llm/host/main.d
