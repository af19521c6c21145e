// Package optim owns the optimizer side of training: AdamW over flat float32 buffers, global-norm
// gradient clipping helpers, and learning-rate schedules as pure functions of the step.
//
// Parameters, gradients and both AdamW moments are flat []float32 buffers with one shared layout (the
// model's parameter table). The package knows nothing about that layout: callers pass index ranges
// [lo, hi) — one per tensor, possibly split further into chunks for parallel workers — together with
// whether weight decay applies to the range. Every function here is element-wise or a fixed-order
// reduction, so results are bitwise independent of the chunking (Update, Scale) or deterministic for
// a fixed chunking and summation order (SumSquares).
//
// One training step, with the buffers split into ranges rs and a Schedule sched:
//
//	var ss float64
//	for _, r := range rs { // fixed order: deterministic norm
//		ss += optim.SumSquares(grads, r.Lo, r.Hi)
//	}
//	s := optim.ClipScale(math.Sqrt(ss), 1.0)
//	lr := sched.LR(step) // step is 0-based
//	for _, r := range rs {
//		if s != 1 {
//			optim.Scale(grads, r.Lo, r.Hi, s)
//		}
//		adam.Update(params, grads, m, v, r.Lo, r.Hi, r.Decay, lr, step+1) // t is 1-based
//	}
//
// AdamW follows torch.optim.AdamW's single-tensor code path operation by operation; a golden test
// (testdata/adamw_golden.json, written by testdata/gen_adamw.py) checks 10 steps against PyTorch.
package optim
