# matmul.mk: matrix products: block formats, repacking into the integer
# recipe, the kernel variants and their selection. Depends on nothing else in
# the engine but the leaf headers (platform.h, params.h, profile.h).
LLM_SRCS += $(addprefix llm/matmul/,quant.c repack.c matmul.c select.c kernels_scalar.c kernels_sse2.c kernels_avx2.c)
