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

func ExampleSchedule_Table() {
	s := grow.Schedule{Op: grow.OpMIDAS, Block: 1, Layers: 4, Split: "prop-1", Steps: 1000}
	tab, err := s.Table(model.Presets["small"], 8*256)
	if err != nil {
		panic(err)
	}
	for _, r := range tab.Rows {
		fmt.Printf("stage %d: %d layers, steps [%d, %d), %.3g FLOPs %v\n", r.Stage, r.Layers, r.FirstStep, r.EndStep, r.FLOPs, r.Grow)
	}
	fmt.Printf("speedup %.3f\n", tab.Speedup)
	// Output:
	// stage 1: 1 layers, steps [0, 100), 1.77e+12 FLOPs <nil>
	// stage 2: 2 layers, steps [100, 300), 5.8e+12 FLOPs midas b=1: 0 [0]
	// stage 3: 3 layers, steps [300, 600), 1.21e+13 FLOPs midas b=1: 0 [0] 1
	// stage 4: 4 layers, steps [600, 1000), 2.06e+13 FLOPs midas b=1: 0 1 [1] 2
	// speedup 1.280
}

// Doubling goes through the same schedule code: 1 → 2 → 4 → 8 layers.
func ExampleSchedule_StageLayers() {
	s := grow.Schedule{Op: grow.OpDouble, Block: 1, Layers: 8, Split: "equal", Steps: 100}
	ends, _ := s.Ends()
	for st := 1; st <= s.NumStages(); st++ {
		fmt.Printf("stage %d: %d layers until step %d\n", st, s.StageLayers(st), ends[st-1])
	}
	// Output:
	// stage 1: 1 layers until step 25
	// stage 2: 2 layers until step 50
	// stage 3: 4 layers until step 75
	// stage 4: 8 layers until step 100
}
