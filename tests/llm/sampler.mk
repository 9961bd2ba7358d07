# sampler.mk: host harness for tests/llm/test_sampler.py (llm/sampler.c alone).
SAMPLER_HARNESS := $(BUILD)/tests/sampler_harness
TEST_PROGRAMS += $(SAMPLER_HARNESS)

$(SAMPLER_HARNESS): tests/llm/sampler_harness.c $(BUILD)/host/llm/sampler.o $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
