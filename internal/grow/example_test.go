package grow_test

import (
	"fmt"

	"midas/internal/grow"
	"midas/internal/model"
)

// MIDAS from 1 to 6 blocks (the worked example of SPEC §2 and doc.go).
func ExampleMIDAS() {
	for n := 1; n < 6; n++ {
		p, err := grow.MIDAS(n, 1)
		if err != nil {
			panic(err)
		}
		fmt.Println(p)
	}
	// Output:
	// midas b=1: 0 [0]
	// midas b=1: 0 [0] 1
	// midas b=1: 0 1 [1] 2
	// midas b=1: 0 1 [1] 2 3
	// midas b=1: 0 1 2 [2] 3 4
}

func ExampleStages() {
	ends, err := grow.Stages("prop-1", 1000, 6)
	if err != nil {
		panic(err)
	}
	fmt.Println(ends, fmt.Sprintf("%.4f", grow.LayerSpeedup(ends)))
	// Output: [48 143 286 476 714 1000] 1.3847
}

func ExampleSchedule() {
	tab, err := grow.Schedule(model.Presets["small"], 1, 1000, 8*256, "prop-1")
	if err != nil {
		panic(err)
	}
	for _, r := range tab.Rows {
		fmt.Printf("stage %d: %d layers, steps [%d, %d), %.3g FLOPs\n", r.Stage, r.Layers, r.FirstStep, r.LastStep, r.FLOPs)
	}
	fmt.Printf("speedup %.3f\n", tab.Speedup)
	// Output:
	// stage 1: 1 layers, steps [0, 100), 1.77e+12 FLOPs
	// stage 2: 2 layers, steps [100, 300), 5.8e+12 FLOPs
	// stage 3: 3 layers, steps [300, 600), 1.21e+13 FLOPs
	// stage 4: 4 layers, steps [600, 1000), 2.06e+13 FLOPs
	// speedup 1.280
}
