// Package tasks owns the reasoning primitives of the MIDAS paper (Saunshi et al. 2024): seeded
// generators of synthetic prompts with exact answers, few-shot prompt assembly and the
// exact-match scorer. It knows nothing about models or tokenizers.
//
// Every generator is a pure function of (spec, seed, example index), drawn with the splitmix64
// source of package splitmix, so the same seed gives the same examples on every machine and Go
// version. Each example is checked when generated: Solve re-derives its answer from the prompt
// text alone and the answer is unique (see Generate).
//
// # Format
//
// A prompt ends right before its answer. In a solved shot the answer follows the prompt after
// one space, except in the code form, whose prompt ends with a newline and whose answer is the
// program's output line (Example.Completion). The model's greedy continuation is cut at its
// first newline and trimmed of spaces, tabs and carriage returns; the rest must equal the
// answer exactly (Score). Answers never contain spaces or newlines.
//
// The examples below are among the first six of Generate(spec, n, 1); testdata/*.golden pins
// them.
//
// copy (induction copying): a sequence of Length random items (letters, or two-letter tokens
// when Alphabet > 26), " | ", a contiguous piece of Piece items that occurs exactly once in the
// sequence, " ->"; the answer is the item that followed the piece.
//
//	prompt: q v e q v w j b c e | b c ->
//	answer: e
//
// varassign-d<depth>-math (variable assignment): Chains chains of Depth+1 distinct
// single-letter variables; the first of each is assigned a value (distinct across chains, in
// 0..MaxValue), each next one the previous variable. The statements go level by level (all
// literals, then all first references, …), chains in a fresh random order at each level; the
// last variable of one chain is queried, the others are distractors of the same depth.
//
//	prompt: e=9, w=2, q=0, x=e, s=q, p=w, p=?
//	answer: 2
//
// varassign-d<depth>-code: the same program as one statement a line, then print of the
// queried variable; the prompt ends with a newline and the answer is the output line.
//
//	prompt: j = 8
//	        z = 2
//	        p = 0
//	        i = z
//	        e = p
//	        d = j
//	        print(i)
//	answer: 2
//
// psm (pre-school math): Vars distinct single-letter variables with values in 0..MaxValue, then
// one operation from Ops (+, - or *) on two of them. Rule: subtraction puts the larger value
// first, so results are never negative.
//
//	prompt: h=9, z=3, h-z=?
//	answer: 6
//
// # Few-shot prompts
//
// FewShot writes k solved shots (Shots draws them from a stream separate from Generate's),
// each followed by a blank line, then the query prompt:
//
//	z w l d b i l z b l | d b -> i
//
//	n h q c y y j y k g | c y -> y
//
//	q v e q v w j b c e | b c ->
//
// Suite lists the standard evaluation specs (copy; varassign depth 0, 1, 2 × math, code; psm)
// and Mixture draws a stratified, shuffled mixture of them for fine-tuning.
package tasks
