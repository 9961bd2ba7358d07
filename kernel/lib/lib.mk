# kernel/lib: the kernel's runtime library (string, printf, math, heap).
# The same sources build into the kernel (build/kernel/lib/) and, with their
# libc-named symbols renamed to k_*, into host test programs (build/tests/)
# that compare them with glibc in the same process.

LIB_NAMES := string decimal printf memory math
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
	strstr strncpy strtol strtoul snprintf vsnprintf \
	expf logf sqrtf powf tanhf floorf ceilf roundf fabsf sinf cosf
LIB_TEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -msse2 -mfpmath=sse -Wall -Wextra -Werror \
	$(LIB_CFLAGS) -Ikernel
LIB_REDEFINE := $(BUILD)/tests/lib/redefine-syms.txt

$(LIB_REDEFINE): kernel/lib/lib.mk
	@mkdir -p $(@D)
	printf '%s k_%s\n' $(foreach n,$(LIB_LIBC_NAMES),$(n) $(n)) > $@

# $(1): 32 or 64. An archive, so each harness links only the objects it uses.
define LIB_HOST_ARCHIVE
LIB_HOBJS$(1) := $$(LIB_NAMES:%=$$(BUILD)/tests/lib/m$(1)/%.o)
LIB_HOST$(1) := $$(BUILD)/tests/lib/libk$(1).a
$$(LIB_HOBJS$(1)): $$(BUILD)/tests/lib/m$(1)/%.o: kernel/lib/%.c $$(LIB_HEADERS) $$(LIB_REDEFINE) | $$(SETUP)
	@mkdir -p $$(@D)
	$$(HOST_CC) -m$(1) $$(LIB_TEST_CFLAGS) -c $$< -o $$@
	objcopy --redefine-syms=$$(LIB_REDEFINE) $$@
$$(LIB_HOST$(1)): $$(LIB_HOBJS$(1))
	rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call LIB_HOST_ARCHIVE,32))
$(eval $(call LIB_HOST_ARCHIVE,64))

# -fno-builtin: the glibc side of each comparison must really call glibc.
LIB_HARNESS_CFLAGS := -std=gnu11 -O2 -g -fno-builtin -Wall -Wextra -Werror -Wno-format-truncation -Ikernel

# build/tests/lib_NAME[32|64] from tests/lib/SOURCE.c: $(1) name, $(2) source, $(3) 32 or 64
define LIB_HARNESS
$$(BUILD)/tests/$(1): tests/lib/$(2).c $$(LIB_HOST$(3)) | $$(SETUP)
	@mkdir -p $$(@D)
	$$(HOST_CC) -m$(3) $$(LIB_HARNESS_CFLAGS) $$^ -lm -o $$@
TEST_PROGRAMS += $$(BUILD)/tests/$(1)
endef
$(eval $(call LIB_HARNESS,lib_printf,printf_vs_glibc,32))
$(eval $(call LIB_HARNESS,lib_string,string_vs_glibc,32))
# The heap runs in both pointer sizes: the kernel is 32-bit, 64-bit shakes out
# size and alignment assumptions.
$(eval $(call LIB_HARNESS,lib_heap_stress32,heap_stress,32))
$(eval $(call LIB_HARNESS,lib_heap_stress64,heap_stress,64))
$(eval $(call LIB_HARNESS,lib_heap_errors,heap_errors,32))
$(eval $(call LIB_HARNESS,lib_math,math_vs_glibc,64))
$(eval $(call LIB_HARNESS,lib_math32,math_vs_glibc,32))

# The in-OS heap stress command (kernel/shell/cmd_heap.c), built by kernel.mk's rule.
KERNEL_OBJS += $(BUILD)/kernel/shell/cmd_heap.o
