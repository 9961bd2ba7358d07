# kernel/lib: the kernel's runtime library (string, printf, math, heap).
# The same sources build into the kernel (build/kernel/lib/) and, with their
# libc-named symbols renamed to k_*, into host test programs (build/tests/)
# that compare them with glibc in the same process.

LIB_NAMES := string decimal printf
LIB_HEADERS := $(wildcard kernel/lib/*.h)
# Our loops must not be turned back into calls to memset/memcpy (that would be
# the function calling itself); libc names must not be treated as builtins.
LIB_CFLAGS := -fno-builtin -fno-tree-loop-distribute-patterns -ffp-contract=off

LIB_KOBJS := $(LIB_NAMES:%=$(BUILD)/kernel/lib/%.o)
KERNEL_OBJS += $(LIB_KOBJS)

$(LIB_KOBJS): $(BUILD)/kernel/lib/%.o: kernel/lib/%.c $(LIB_HEADERS) | $(SETUP)
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KERNEL_CFLAGS) $(LIB_CFLAGS) -Ikernel -c $< -o $@

# Host builds for the tests: no -march=native, so the float code is compiled
# as for the kernel (SSE2 scalar, no FMA contraction).
LIB_LIBC_NAMES := memcpy memmove memset memcmp strlen strcmp strncmp strchr strrchr \
	strstr strncpy strtol strtoul snprintf vsnprintf
LIB_TEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -msse2 -mfpmath=sse -Wall -Wextra -Werror \
	$(LIB_CFLAGS) -Ikernel
LIB_REDEFINE := $(BUILD)/tests/lib/redefine-syms.txt

$(LIB_REDEFINE): kernel/lib/lib.mk
	@mkdir -p $(@D)
	printf '%s k_%s\n' $(foreach n,$(LIB_LIBC_NAMES),$(n) $(n)) > $@

# $(1): 32 or 64
define LIB_HOST_OBJS
LIB_HOBJS$(1) := $$(LIB_NAMES:%=$$(BUILD)/tests/lib/m$(1)/%.o)
$$(LIB_HOBJS$(1)): $$(BUILD)/tests/lib/m$(1)/%.o: kernel/lib/%.c $$(LIB_HEADERS) $$(LIB_REDEFINE) | $$(SETUP)
	@mkdir -p $$(@D)
	$$(HOST_CC) -m$(1) $$(LIB_TEST_CFLAGS) -c $$< -o $$@
	objcopy --redefine-syms=$$(LIB_REDEFINE) $$@
endef
$(eval $(call LIB_HOST_OBJS,32))
$(eval $(call LIB_HOST_OBJS,64))

LIB_HARNESS_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-format-truncation -Ikernel

$(BUILD)/tests/lib_printf: tests/lib/printf_vs_glibc.c $(LIB_HOBJS32) | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) -m32 $(LIB_HARNESS_CFLAGS) $^ -o $@

$(BUILD)/tests/lib_string: tests/lib/string_vs_glibc.c $(LIB_HOBJS32) | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) -m32 $(LIB_HARNESS_CFLAGS) $^ -o $@

TEST_PROGRAMS += $(BUILD)/tests/lib_printf $(BUILD)/tests/lib_string
