// Package cli implements the midas subcommands, one file each. Every command parses its own flag set,
// calls into the library packages and returns an error; Main turns errors into one-line messages and
// exit codes (1 for failures, 2 for usage errors).
package cli
