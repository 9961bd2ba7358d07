# placeholder: owned by its part
include tests/llm/sampler.mk
