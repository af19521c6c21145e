// Package cli implements the midas subcommands, one file each. Every command parses its own flag set,
// validates it, calls into the library packages and prints what they return; the work itself (training,
// evaluation, benchmarks, files written) lives in the libraries. Main turns errors into one-line
// messages and exit codes (1 for failures, 2 for usage errors).
package cli
