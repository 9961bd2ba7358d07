# sampler.mk: host harness for tests/llm/test_sampler.py (llm/sampler.c alone,
# with the buffer plans it allocates through).
SAMPLER_HARNESS := $(BUILD)/tests/sampler_harness
TEST_PROGRAMS += $(SAMPLER_HARNESS)

$(SAMPLER_HARNESS): tests/llm/sampler_harness.c $(BUILD)/host/llm/sampler.o $(BUILD)/host/llm/buffers.o \
		$(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
