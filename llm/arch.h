/* arch.h: what differs between the transformer families the engine runs,
 * described once as data (arch.c holds the table). The one forward pass
 * (model.c) and the loaders follow these facts; an architecture missing from
 * the table is refused with one clear error.
 *
 *   llama   RoPE on adjacent pairs, SwiGLU, pre-norms only
 *   qwen2   RoPE on half-offset (NEOX) pairs, biases on Q, K and V
 *   gemma3  NEOX RoPE, RMSNorm of each Q and K head, norms after the
 *           attention and feed-forward halves too, embedding times
 *           sqrt(dim), GeGLU with tanh GELU, 5 sliding-window layers (own
 *           rope base) for every global one
 */
#ifndef LLM_ARCH_H
#define LLM_ARCH_H

#include <stdint.h>

enum arch_ffn { FFN_SWIGLU, FFN_GEGLU };

struct model_arch {
    const char *name;          /* general.architecture, and the metadata key prefix */
    uint8_t rope_neox;         /* rotate (i, i + rope_dim / 2), not (2i, 2i + 1) */
    uint8_t qkv_bias;          /* blk.N.attn_{q,k,v}.bias */
    uint8_t qk_norm;           /* blk.N.attn_{q,k}_norm over each head */
    uint8_t post_norms;        /* blk.N.post_attention_norm, post_ffw_norm */
    uint8_t embed_scale;       /* embedding rows times sqrt(dim) */
    uint8_t ffn;               /* enum arch_ffn */
    /* Sliding-window layers: with a window in the file, layer l attends to
     * the last `window` positions only when l % swa_period < swa_period - 1
     * (llama.cpp's pattern); 0 when the family has none. */
    uint32_t swa_period;
    float swa_rope_base;       /* their rope base when the file has none */
};

/* The family named `name` (len bytes, not terminated), or NULL. */
const struct model_arch *arch_find(const char *name, uint32_t len);

#endif
