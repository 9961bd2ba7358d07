# train.mk: LoRA adapters and their training: the adapter product (used by
# the forward pass too), the GGUF adapter file, the training text (plain,
# or chat turns in the model's template), the training forward pass that
# keeps its activations, the backward pass and AdamW, and the float32
# products they share.
LLM_SRCS += $(addprefix llm/train/,lora.c adapter_gguf.c train.c train_text.c train_forward.c train_backward.c \
	float_products.c)
