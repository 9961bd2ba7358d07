# placeholder: owned by its part
include tests/llm/sampler.mk
include tests/llm/settings.mk
include tests/llm/chat.mk
include tests/llm/tokenizer.mk
include tests/fuzz/fuzz.mk
include tests/soak/soak.mk
include tests/llm/engine.mk
include tests/llm/kernels.mk
include tests/llm/attention.mk
include tests/llm/parallel.mk
include tests/train/train.mk
include tests/net/net.mk
