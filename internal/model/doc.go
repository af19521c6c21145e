// Package model is the Llama-style decoder of midas: its Config, the flat parameter Layout, and
// hand-written forward and backward passes over the kernels of package kern.
//
// Architecture (fixed by ../shared/ref/llama_ref.py):
//
//	token embedding → L × [x += Attn(RMSNorm(x)); x += SwiGLU(RMSNorm(x))] → RMSNorm → lm_head
//
// Parameters live in one flat []float32 laid out layer-major, in Hugging Face LlamaForCausalLM names:
//
//	[model.embed_tokens.weight]
//	[layer 0: input_layernorm, q_proj, k_proj, v_proj, o_proj, post_attention_layernorm, gate_proj, up_proj, down_proj]
//	[layer 1: ...] ...
//	[model.norm.weight] [lm_head.weight (absent when embeddings are tied)]
//
// Gradients and both AdamW moments use the same layout, so a layer (or a block of consecutive layers) is
// one contiguous range in every buffer — growth copies ranges. Inside a layer q, k and v are adjacent and
// form one [3C, C] matrix, gate and up one [2F, C] matrix, so each is a single matmul.
package model
