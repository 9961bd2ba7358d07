# train.mk: the training tests' harness, built as the host program is and as
# the kernel is (32-bit, SSE2 floats): test_products.py compares their bits.
PRODUCTS_HARNESS := $(BUILD)/tests/products_harness
PRODUCTS_HARNESS32 := $(BUILD)/tests/products_harness32
TEST_PROGRAMS += $(PRODUCTS_HARNESS) $(PRODUCTS_HARNESS32)
$(PRODUCTS_HARNESS): tests/train/products_harness.c $(LLM_HOST_OBJS) $(LLM_HOST_PLATFORM) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Illm $^ -o $@ -lm
$(PRODUCTS_HARNESS32): tests/train/products_harness.c $(LLM_OBJS_host32) | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(LLM_VARIANT_CFLAGS_host32) -Illm $^ -o $@ -lm
