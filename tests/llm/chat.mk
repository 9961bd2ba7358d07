# chat.mk: host harness for tests/llm/test_chat.py (llm/text/chat.c with a real
# GGUF tokenizer, so it links the whole engine).
CHAT_HARNESS := $(BUILD)/tests/chat_harness
TEST_PROGRAMS += $(CHAT_HARNESS)

$(CHAT_HARNESS): tests/llm/chat_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
