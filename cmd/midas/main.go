// Command midas trains Llama-style language models with gradual stacking (MIDAS) on a CPU.
// Run `midas help` for the subcommands.
package main

import (
	"os"

	"midas/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
