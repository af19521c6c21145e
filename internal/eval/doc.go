// Package eval measures models: validation loss and perplexity, greedy decoding with a KV cache, k-shot
// accuracy on the reasoning primitives of package tasks and on the synthetic corpus's held-out questions
// (closed-book, open-book, math), the fine-tuning protocol (fine-tune a copy on a few examples of the
// primitive mixture, evaluate, mean ± std over seeds), layer similarity, and the plots of reports.
//
// Accuracy is exact match: the model's greedy continuation is cut at the end of its first line and
// trimmed, then compared with the answer (tasks.Score).
package eval
