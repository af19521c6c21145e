// Package surgery owns checkpoint surgery: growing a Hugging Face Llama checkpoint directory on disk by
// a grow.Plan. Grow streams the tensors one at a time from the input to the output — raw bytes, so every
// dtype is kept — renaming each copied layer's tensors, zeroing the identity copies' output projections,
// keeping single-file or sharded safetensors as the input has them; it writes config.json with the new
// num_hidden_layers and the plan appended to growth_history, copies the other top-level files
// (tokenizer, generation config, ...) and leaves out stale weights and training state. Inspect reads
// what the surgery needs to know about a checkpoint (depth, dtypes, sharding) from the headers alone.
//
// The plan itself — which old layer every new layer comes from — is package grow's, which stays pure;
// the formats and the atomic writes are package ckpt's: the output is built in a temp directory and
// renamed into place by ckpt.WriteDirAtomic, so a failed surgery leaves the output as it was.
//
// Worked example: MIDAS with b = 1 on a 2-layer checkpoint (plan "midas b=1: 0 [0] 1") writes
//
//	model.embed_tokens.weight          ← model.embed_tokens.weight
//	model.layers.0.<suffix>            ← model.layers.0.<suffix>
//	model.layers.1.<suffix>            ← model.layers.0.<suffix>   (the copy; zeros for o_proj and
//	                                                                down_proj with Identity)
//	model.layers.2.<suffix>            ← model.layers.1.<suffix>
//	model.norm.weight, lm_head.weight  ← unchanged
//
// and config.json gets "num_hidden_layers": 3 and the growth_history entry
// {"op":"midas","block":1,"from":2,"to":3,"src":[0,0,1],"copy":[false,true,false],"identity":false}.
//
// Errors start with "surgery: "; a plan that fails its own validation returns grow's error as it is.
package surgery
