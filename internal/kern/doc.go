// Package kern holds the float32 kernels of the model: matrix multiplication (Gemm, with SIMD backends
// chosen at run time, an opt-in bf16 backend on Intel AMX, and — in the openblas build — OpenBLAS from
// package kern/openblas, see RegisterGemm), RMSNorm, rotary embedding (plain or with given
// frequencies), SwiGLU, causal attention (multi-head or grouped-query, with an optional bidirectional
// prefix per row), softmax cross-entropy, and the worker pool they share (ParallelFor, and
// ParallelForTask, which does not allocate). The elementwise loops (exp-based SwiGLU, softmax and
// cross-entropy sweeps, RoPE, RMSNorm) have AVX-512 and AVX2 versions chosen at run time on amd64, and
// NEON versions on arm64, all bitwise equal to their scalar Go twins; row sums add in 16 interleaved
// partial sums (sumLanes), an order fixed by the length alone.
//
// Dimensions use single letters throughout: B batch, T time (sequence), C model dim, H heads, D head dim
// (C = H·D), F FFN hidden dim, V vocabulary, N = B·T rows. Buffers are row-major []float32 and every
// kernel states the shape of each argument. Outputs come first in argument lists. Kernels panic when a
// buffer is too short for the shapes given (a caller bug).
//
// Each fast kernel keeps its naive twin in the tree (GemmNaive, ...) as the oracle its tests compare to;
// every backward pass is checked against finite differences in float64.
//
// Determinism: every kernel gives bitwise-identical results for any thread count. Work is split over
// rows or columns, never over a reduction, so resumed training reproduces an uninterrupted run exactly.
// The elementwise loops also give the same bits with or without SIMD.
package kern
