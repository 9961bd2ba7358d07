# kernels.mk: host harness for tests/llm/test_kernels.py (the repacked integer
# kernels, their selection and the bit-exactness of every variant).
KERNELS_HARNESS := $(BUILD)/tests/kernels_harness
TEST_PROGRAMS += $(KERNELS_HARNESS)

$(KERNELS_HARNESS): tests/llm/kernels_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm

# tests/llm/test_batch.py: several prompt tokens per llm_eval call.
BATCH_HARNESS := $(BUILD)/tests/batch_harness
TEST_PROGRAMS += $(BATCH_HARNESS)

$(BATCH_HARNESS): tests/llm/batch_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
