# attention.mk: host harness for tests/llm/test_attention.py (the integer
# attention's scalar and AVX2 loops give the same bits).
ATTENTION_HARNESS := $(BUILD)/tests/attention_harness
TEST_PROGRAMS += $(ATTENTION_HARNESS)

$(ATTENTION_HARNESS): tests/llm/attention_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
