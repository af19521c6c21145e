// Package ckpt owns everything midas reads from or writes to a checkpoint on disk, speaking the
// formats of the Hugging Face world so that checkpoints move freely between midas and PyTorch:
//
//   - safetensors files (File, Open, WriteFile, Writer, and Encode for writing into CommitDir's
//     io.Writer): an 8-byte little-endian header length N,
//     N bytes of JSON header padded with spaces to a multiple of 8, then the tensor data tiled
//     exactly by the header's data_offsets. F32, BF16 and F16 convert exactly to float32 on read
//     and with round-to-nearest-even on write (BF16ToF32, F32ToBF16, F16ToF32, F32ToF16); every
//     safetensors dtype can be passed through raw, which is how surgery keeps dtypes as they are.
//     Open validates the whole header against the file size before any data is read.
//   - HF checkpoint directories (Model, OpenModel): model.safetensors, or
//     model.safetensors.index.json with its shards.
//   - HF Llama config.json (LlamaConfig): strict parsing for models midas runs, loose parsing for
//     checkpoints handled as opaque tensors, and a writer that keeps unknown keys.
//   - Atomic writes: WriteFileAtomic (and WriteFileAtomicFrom, streamed from a reader) for one file
//     (temp + fsync + rename), CommitDir/Recover for a directory whose files must change together,
//     and WriteDirAtomic for a whole new directory (built in a temp dir next to it, fsynced, renamed
//     into place, an old one replaced only once the new one is complete).
//
// # Directory commit protocol
//
// CommitDir(dir, {config.json, model.safetensors}) goes through these states:
//
//  1. write+fsync dir/.staging/config.json, dir/.staging/model.safetensors   crash → old version
//  2. write+fsync dir/.staging/COMPLETE                                     crash → new version
//  3. rename each staged file into dir                                     crash → new version
//  4. remove COMPLETE, then .staging                                       crash → new version
//
// Recover(dir), called by readers first, deletes a .staging without COMPLETE and rolls one with it
// forward (a staged file that is gone was already renamed). Files of dir that a commit does not
// name, such as metrics.jsonl, are never touched.
//
// Errors name the package and the file: "ckpt: run/model.safetensors: truncated: data ends at
// byte 96, header needs 128". The package imports only the standard library.
package ckpt
