package main

import (
	"fmt"

	"midas/internal/data"
)

func main() {
	for _, d := range data.ReasoningText(3, 1200) {
		fmt.Print(d)
	}
}
