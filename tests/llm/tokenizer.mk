# tokenizer.mk: host harnesses for tests/llm/test_tokenizer.py (the tokenizer
# loaded through llm_load, or from a vocab file the test writes). Besides the
# normal build, the same tests run on a 32-bit build (size_t is 32-bit in the
# kernel too) and on one with AddressSanitizer and UBSan.
TOK_HARNESS := $(BUILD)/tests/tok_harness
TOK_HARNESS_VARIANTS := $(BUILD)/tests/tok_harness32 $(BUILD)/tests/tok_harness_san
TEST_PROGRAMS += $(TOK_HARNESS) $(TOK_HARNESS_VARIANTS)

$(TOK_HARNESS): tests/llm/tok_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm

$(BUILD)/tests/tok_harness32: tests/llm/tok_harness.c $(LLM_OBJS_host32) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_host32) -Illm $^ -o $@ -lm
$(BUILD)/tests/tok_harness_san: tests/llm/tok_harness.c $(LLM_OBJS_san) | $(SETUP)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_san) -Illm $^ -o $@ -lm
