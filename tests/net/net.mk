# tests/net: host programs for the network stack's unit tests.
$(BUILD)/tests/json_host: tests/net/json_host.c tests/net/json_canonical.c tests/net/json_canonical.h \
		kernel/net/json.c kernel/net/json_write.c kernel/net/json.h | $(SETUP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -Itests/fs/host -Ikernel -Itests $(filter %.c,$^) -o $@
TEST_PROGRAMS += $(BUILD)/tests/json_host
