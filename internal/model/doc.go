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
//
// Hugging Face's Llama variants are options of Config: grouped-query attention (NumKVHeads key/value
// heads shared by groups of query heads: q, k, v form one [(H+2·Hkv)·D, C] matrix), a head dimension D
// other than C/H (HeadDimOverride: q_proj [H·D, C], o_proj [C, H·D]) and rotary scaling (RopeScaling:
// linear, llama3, dynamic). Their zero values are the architecture above, computed exactly as before
// they existed.
//
// The layer map (Layout.Map) says which physical layer each logical layer — each position in depth —
// computes with. It is the identity for an untied model (New). NewMapped builds weight-shared models:
// with 2 physical layers, the map [0 1 0 1] runs a 2-layer block twice (depth 4); activations are kept
// per logical layer, and the backward pass accumulates every use's gradient into the shared block.
// Loop names the maps of looped models (P untied layers, a K-layer block applied R times, Q untied
// layers; NewLoop), MiddleMap the map that repeats a centred block of a trained model at inference
// (Remap shares the parameters), and Layout.UnrolledTensors / Model.Unrolled the untied model of the
// same depth (what a looped checkpoint stores).
package model
