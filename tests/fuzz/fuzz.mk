# fuzz.mk: libFuzzer targets (clang, AddressSanitizer + UBSan) for the model
# loaders, the tokenizer, the FAT32 driver and the network stack. Every
# tests/fuzz/fuzz_*.c becomes a target build/fuzz/fuzz_* linked with the whole
# engine built with the sanitizers; fuzz_fat is linked with kernel/fs instead,
# the network's targets (FUZZ_NET_TARGETS) with the stack's portable files
# and tests/fuzz/net_host.c.
# `make test` runs each briefly (tests/fuzz/test_fuzz.py); `make fuzz
# FUZZ_SECONDS=600` runs each for longer.
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# No -Werror: clang warns about things gcc (which gates the build) does not.
# -march=native as for the host build; clang ignores gcc's `#pragma GCC target`
# (the SIMD kernels' files), so those need the host's features enabled here.
FUZZ_CFLAGS := -std=gnu11 -O1 -g -march=native -Wall -Wno-unknown-pragmas -Illm $(FUZZ_SAN)
FUZZ_SECONDS ?= 25

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ENGINE_OBJS := $(LLM_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/llm/host/platform_host.o
TEST_PROGRAMS += $(FUZZ_TARGETS)

$(BUILD)/fuzz/obj/llm/%.o: llm/%.c | $(TEST_SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/common.h $(FUZZ_ENGINE_OBJS) | $(TEST_SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter-out %.h,$^) -o $@ -lm

# The FAT32 driver as the host harness builds it (tests/fs/host maps the
# kernel's lib headers onto libc).
$(BUILD)/fuzz/fuzz_fat: tests/fuzz/fuzz_fat.c $(FS_CORE_SRCS) $(FS_HEADERS) | $(SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -O1 -g -Wall $(FUZZ_SAN) -fsanitize=fuzzer -Itests/fs/host -Ikernel \
		tests/fuzz/fuzz_fat.c $(FS_CORE_SRCS) -o $@

FUZZ_NET_TARGETS := $(addprefix $(BUILD)/fuzz/, fuzz_http fuzz_json fuzz_tcp)
FUZZ_NET_OBJS := $(NET_CORE_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/tests/fuzz/net_host.o
# tests/fs/host maps the kernel's lib/ headers onto the C library.
FUZZ_NET_CFLAGS := -Itests/fs/host -Ikernel -Itests/fuzz

$(BUILD)/fuzz/obj/kernel/net/%.o: kernel/net/%.c | $(SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_NET_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/obj/tests/fuzz/net_host.o: tests/fuzz/net_host.c tests/fuzz/net_host.h | $(SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_NET_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# fuzz_json writes what it parsed back with the JSON tests' canonical writer.
$(BUILD)/fuzz/fuzz_json: tests/net/json_canonical.c tests/net/json_canonical.h
$(BUILD)/fuzz/fuzz_json: FUZZ_NET_CFLAGS += -Itests
$(FUZZ_NET_TARGETS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_NET_OBJS) | $(SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_NET_CFLAGS) -fsanitize=fuzzer $(filter %.c %.o,$^) -o $@ -lm

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -q -s tests/fuzz

-include $(FUZZ_ENGINE_OBJS:.o=.d) $(FUZZ_NET_OBJS:.o=.d)
