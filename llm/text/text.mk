# text.mk: text in and out of the engine: tokenizers, pre-tokenizers, Unicode
# tables, chat templates. Depends on nothing else in the engine.
LLM_SRCS += $(addprefix llm/text/,tokenizer.c tokenizer_bpe.c tokenizer_merge.c tokenizer_pre.c \
	tokenizer_spm.c tokenizer_user.c unicode_tables.c chat.c)
