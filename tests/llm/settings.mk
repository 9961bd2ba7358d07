# settings.mk: host harness for tests/llm/test_settings.py (llm/settings.c alone).
SETTINGS_HARNESS := $(BUILD)/tests/settings_harness
TEST_PROGRAMS += $(SETTINGS_HARNESS)

$(SETTINGS_HARNESS): tests/llm/settings_harness.c $(BUILD)/host/llm/settings.o | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@
