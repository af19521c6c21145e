// Package bench measures speed and memory: training steps of a config on random tokens (median step
// time, tokens/s, peak resident memory next to an estimate of what training needs), the same benchmark
// of the PyTorch reference (llama_ref.py bench, run as a child process), and every GEMM shape of one
// training step per backend and thread count. It returns results as structs and prints nothing; the
// bench command prints them. CPU profiles of a benchmark start and stop here too.
//
// Measurements are compared as ratios within one run (midas against torch, one backend against
// another), the contenders alternating, so that a shared, noisy machine slows both alike: Train and
// Torch alternate by round, the GEMM backends call by call on the same shape.
package bench
