# formats.mk: the model file readers (GGUF, llama2.c .bin) that fill the
# engine's model structure. They may use text/ and matmul/, never the top.
LLM_SRCS += $(addprefix llm/formats/,gguf.c load_gguf.c llama2c.c probe.c weights.c prepared.c digest.c)
