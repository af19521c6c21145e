// Package objective owns the training objective: how a window of tokens becomes what the model is
// trained on — inputs, targets, each row's bidirectional prefix length and which targets carry loss.
// Training, validation loss, `midas score` and fine-tuning all build their batches here, so a new
// objective is one new Objective, not four edits. It imports only the standard library and splitmix,
// so that model, train, eval and cli can all use it.
//
// A Batch is B rows of T positions, flat and row-major, reused from call to call (steady-state
// training allocates nothing):
//
//	Inputs  [B·T]  token ids fed to the model
//	Targets [B·T]  the token each position predicts, or Ignore: no loss, no gradient (the convention
//	               of kern.SoftmaxCrossEntropy and model.Loss, so the loss mask is the targets)
//	Prefix  [B]    positions [0, Prefix[b]) of row b attend to each other bidirectionally; the rest is
//	               causal. 0 is plain causal LM. Targets at positions before Prefix[b]−1 must be
//	               Ignore: those positions see the token they would predict.
//
// Two objectives exist: Causal, the default, and UL2 (SPEC §6a), the MIDAS paper's mixture of causal
// LM, prefix LM and span corruption in decoder form with UL2's mode tokens (see UL2 for the rows it
// makes and DefaultUL2 for the mix). Causal shifts each window [T+1] by one. For the window
//
//	w = [5 6 7 8 9]   (T = 4)
//
// it makes Inputs [5 6 7 8], Targets [6 7 8 9], Prefix 0. Fine-tuning on answers only is the same
// batch with the prompt's predictions masked: for w = [EOT "2" "+" "3" "=" "5" "\n"], whose answer
// starts at window token 5, LossFrom(0, 5) leaves
//
//	Inputs  [EOT "2" "+" "3" "=" "5"]
//	Targets [ -   -   -   -  "5" "\n"]   (- is Ignore)
//
// A prefix LM row of prefix p is Prefix[b] = p with LossFrom(b, p); span corruption puts its
// sentinel-marked input part in the prefix and its target part after it. Validation loss and
// fine-tuning stay causal whatever the training objective.
//
// The model takes the prefix: model.LossBatch passes Prefix to kern.AttentionForward and
// AttentionBackward, whose mask is j ≤ max(i, Prefix[b]−1) (prefix 0 is bitwise the causal kernel).
package objective
