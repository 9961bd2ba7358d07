# engine.mk: host harnesses of the engine core's tests (tests/llm/test_quant.py,
# test_forward.py, test_loaders.py, test_generate.py, test_probe.py, test_load_cancel.py). The loader harness is a separate build of
# the whole engine with AddressSanitizer and UBSan, also as a 32-bit program
# (size_t is 32-bit in the kernel: file sizes and counts must not wrap).
QUANT_HARNESS := $(BUILD)/tests/quant_harness
FORWARD_HARNESS := $(BUILD)/tests/forward_harness
LOADER_HARNESS := $(BUILD)/tests/loader_harness
LOADER_HARNESS32 := $(BUILD)/tests/loader_harness32
FORWARD_HARNESS32 := $(BUILD)/tests/forward_harness32
SESSION_HARNESS := $(BUILD)/tests/session_harness
# The header probe (test_probe.py): with the sanitizers, natively and as a
# 32-bit program like the kernel.
PROBE_HARNESS := $(BUILD)/tests/probe_harness
PROBE_HARNESS32 := $(BUILD)/tests/probe_harness32
TEST_PROGRAMS += $(QUANT_HARNESS) $(FORWARD_HARNESS) $(LOADER_HARNESS) $(LOADER_HARNESS32) $(FORWARD_HARNESS32) \
	$(SESSION_HARNESS) $(PROBE_HARNESS) $(PROBE_HARNESS32)

$(QUANT_HARNESS): tests/llm/quant_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm

$(FORWARD_HARNESS): tests/llm/forward_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm

$(SESSION_HARNESS): tests/llm/session_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm

$(LOADER_HARNESS): tests/llm/loader_harness.c $(LLM_OBJS_san) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san) -Illm $^ -o $@ -lm
$(LOADER_HARNESS32): tests/llm/loader_harness.c $(LLM_OBJS_san32) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san32) -Illm $^ -o $@ -lm
$(PROBE_HARNESS): tests/llm/probe_harness.c $(LLM_OBJS_san) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san) -Illm $^ -o $@ -lm
$(PROBE_HARNESS32): tests/llm/probe_harness.c $(LLM_OBJS_san32) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san32) -Illm $^ -o $@ -lm
# The forward pass as the kernel runs it: 32-bit, SSE2 floats.
$(FORWARD_HARNESS32): tests/llm/forward_harness.c $(LLM_OBJS_host32) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_host32) -Illm $^ -o $@ -lm
# Loads stopped at every poll of llm_load_cancellable (test_load_cancel.py).
CANCEL_HARNESS := $(BUILD)/tests/cancel_harness
TEST_PROGRAMS += $(CANCEL_HARNESS)
$(CANCEL_HARNESS): tests/llm/cancel_harness.c $(LLM_OBJS_san) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san) -Illm $^ -o $@ -lm
