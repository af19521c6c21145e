// Package data owns everything the trainer reads: the embedded synthetic corpus (a seeded world
// of people and towns rendered as documents, plus held-out evaluation questions), user text
// (files, folders, .gz and .zst, JSON and JSONL, parquet shards with a "text" column) and its
// train/validation split, tokenization of a corpus into
// one token array, and deterministic, resumable batching of that array.
//
// # Synthetic world
//
// NewWorld(seed) builds 8 regions with 2 rivers each, 72 towns (region, river, landmark, a
// product) and 300 people in families (home and birth town, profession, age, favourite colour and
// food, hobby, pet, friends, siblings, two coloured belongings kept somewhere). Document(split, i)
// renders document i of Train or Val: biographies of people and towns, lists, stories (a visit,
// a lost pet, a work day, a journey, a dinner) that use world facts and stay consistent with
// themselves, Q/A pages and word problems. Everything is a pure function of the seed, drawn with
// the splitmix64 source of package splitmix so output never changes with the Go version.
//
// Held out for evaluation (Questions):
//   - closed-book: one fact in five is reserved; reserved facts are stated in Train biographies
//     but their questions are asked only in Val pages and in Questions;
//   - open-book and math: stories and word problems are assigned to Val when the FNV-1a hash of
//     their text is divisible by 8, so no Val story or problem text ever occurs in Train.
//
// Example (world seed 1):
//
//	Q: Where does Sigrid Marsh live?
//	A: Penbury
//
//	Carl has 9 acorns. Abel has twice as many acorns as Carl. How many acorns does Abel have?
//	Solution: 2 * 9 = 18.
//	Answer: 18
//
// # User text
//
// ReadTexts reads files and folders into Docs; SplitDocs holds out the tail of every document
// (or every k-th small document) for validation. ReadCode reads a code tree: source files by
// extension (CodeExts), without Go test files and testdata folders.
//
// # Mixtures
//
// A mixture is a list of sources NAME=PATH[:WEIGHT] (ParseMixture; ExpandFiles reads them from a
// mixture file): text, code (a NAME starting with "code") or the synthetic world (PATH synthetic).
// BuildMixture reads each source, splits it, and samples its training half to its share of a
// byte budget — whole passes when the source is smaller than its share, then a seeded selection of
// ~64 KiB pieces (Sample) — and the validation halves likewise, interleaved (Interleave) so that
// the first validation batches hold every source in its share. Example, the paper-like mixture
// with the automatic budget (the largest at which no source repeats):
//
//	prose=../shared/data/english-pd:0.57  42.6 MB, all of it   (limits the budget: 42.6/0.57 = 74.7 MB)
//	code=$GOROOT/src:0.33                 24.6 MB of 68.3 MB sampled
//	math=synthetic:0.1                     7.5 MB of world documents
//
// # Tokens and batches
//
// Tokenize encodes documents in parallel into one []int32 with an EOT after each document,
// identically for any worker count. A Loader serves [batch][seq+1] windows of that array in a
// per-epoch Fisher–Yates permutation drawn from (seed, epoch); its Position can be saved and
// restored with Seek. ValBatches returns unshuffled batches for validation loss.
package data
