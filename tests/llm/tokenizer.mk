# tokenizer.mk: host harness for tests/llm/test_tokenizer.py (the tokenizer
# loaded through llm_load, or from a vocab file the test writes).
TOK_HARNESS := $(BUILD)/tests/tok_harness
TEST_PROGRAMS += $(TOK_HARNESS)

$(TOK_HARNESS): tests/llm/tok_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
