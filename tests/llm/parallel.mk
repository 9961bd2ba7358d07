# parallel.mk: host harness for tests/llm/test_parallel.py (llm_parallel_for on
# POSIX threads, stressed by llm/parallel_check.c).
PARALLEL_HARNESS := $(BUILD)/tests/parallel_harness
TEST_PROGRAMS += $(PARALLEL_HARNESS)

$(PARALLEL_HARNESS): tests/llm/parallel_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
