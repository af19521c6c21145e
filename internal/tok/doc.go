// Package tok owns midas's tokenizer: a byte-level BPE in the style of GPT-2,
// trained by the program itself and saved as a Hugging Face tokenizer.json.
//
// Ids 0..255 of a trained tokenizer are the single bytes, ids 256.. are the
// learnt merges in order, and the id after them is the special token
// "<|endoftext|>" (EOT), which callers put between documents. WithSpecial
// appends more special tokens after it (a UL2 run's mode tokens and
// sentinels, see package objective). Encode never produces a special token. Text is first split by the GPT-2 / Hugging Face ByteLevel
// pre-tokenizer (see PreTokenize), then each piece is merged by rank, so the
// file loads in Hugging Face tokenizers and gives the same ids there (except
// that Hugging Face turns a special token's literal text, such as
// "<|endoftext|>", into that token).
//
// Example: trained on "ab ab ab cd" with vocabSize 261, the pieces are
// "ab", " ab", " ab", " cd" and the merges are
//
//	a + b   → "ab"   (id 256, count 3)
//	' ' + ab → " ab" (id 257, count 2)
//	' ' + c  → " c"  (id 258, count 1; ties (c, d) and wins by byte order)
//	" c" + d → " cd" (id 259)
//
// with EOT = 260, and Encode("ab cd") = [256 259].
//
// The package owns the pre-tokenizer, training, encoding and decoding, and
// reading and writing tokenizer.json (MarshalJSON, Parse, Save, Load), with
// the tokenizer_config.json and special_tokens_map.json that Hugging Face's
// clients read beside it (HFFiles). EncodeSpecial encodes as those clients do,
// turning a literal "<|endoftext|>" into EOT.
package tok
