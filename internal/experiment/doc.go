// Package experiment runs comparisons: a set of arms (run types such as baseline, gradstack, midas,
// each a train.Options) × seeds, paired by seed (the same seed gives the same data order and initial
// weights to every arm), each trained in its own directory under Spec.Out/runs, then evaluated once
// (eval.Final) and summarised in a report (eval.WriteReport).
//
// An experiment is resumable: a finished run is reused, an interrupted one resumed, a cached final
// evaluation read back — but only while the run's saved options equal the requested ones; otherwise
// Execute refuses (or, with Force, retrains), so a report never states new settings over old results.
//
//	spec := experiment.Spec{Out: "cmp", Seeds: 3, Final: eval.FinalOptions{N: 100}}
//	for _, name := range []string{"baseline", "midas"} {
//		spec.Arms = append(spec.Arms, experiment.NewArm(name, base))
//	}
//	res, err := experiment.Execute(spec, experiment.Events{}, false)
package experiment
