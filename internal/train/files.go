package train

import (
	"fmt"

	"midas/internal/ckpt"
	"midas/internal/tok"
)

// The files of a run directory. The first eight are the checkpoint (committed together by
// SaveCheckpoint, HF-loadable); the rest belong to the run and live beside it.
const (
	FileConfig          = "config.json"           // Hugging Face LlamaConfig (+ growth_history, midas_loop)
	FileModel           = "model.safetensors"     // the weights
	FileGeneration      = ckpt.GenerationFileName // generation_config.json: bos, eos, pad ids
	FileTokenizer       = tok.FileJSON            // HF tokenizers JSON of the run's BPE
	FileTokenizerConfig = tok.FileConfig          // tokenizer_config.json: class, special tokens, max length
	FileSpecialTokens   = tok.FileSpecialTokens   // special_tokens_map.json
	FileOptimizer       = "optimizer.safetensors" // both AdamW moments (exp_avg.*, exp_avg_sq.*)
	FileState           = "trainer_state.json"    // State: step, data position, options, growth history
	FileMetrics         = "metrics.jsonl"         // one Metrics line per step (trimmed to the checkpoint on resume)
)

// FileEval is the name of the cached final evaluation of a run directory with n held-out examples per
// task and ft fine-tuning examples (written by eval.Final).
func FileEval(n, ft int) string { return fmt.Sprintf("eval-n%d-ft%d.json", n, ft) }

// FileEvalRepeat is FileEval for an evaluation with the middle block of b layers applied r times.
func FileEvalRepeat(n, ft, b, r int) string {
	return fmt.Sprintf("eval-n%d-ft%d-rep%dx%d.json", n, ft, b, r)
}
