package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"midas/internal/kern"
)

// TorchBLAS is what BLAS a python's torch runs its CPU matrix products with.
type TorchBLAS struct {
	Torch    string `json:"torch"`     // torch's version
	BLASInfo string `json:"blas_info"` // torch's build setting BLAS_INFO (mkl, open, generic, ...)
	Library  string `json:"library"`   // OpenBLAS, MKL, reference (netlib), or unknown
	Version  string `json:"version"`   // OpenBLAS's openblas_get_config, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
	Core     string `json:"core"`      // OpenBLAS's openblas_get_corename: the kernels it runs
	Path     string `json:"path"`      // the BLAS library file
	CoreType string `json:"-"`         // the OPENBLAS_CORETYPE the probe ran with ("" unset)
}

// String describes the reference's BLAS in one phrase.
func (b TorchBLAS) String() string {
	s := "torch " + b.Torch + ", "
	switch b.Library {
	case "OpenBLAS":
		s += b.Version + ", core " + b.Core
		if b.CoreType != "" {
			s += " (OPENBLAS_CORETYPE=" + b.CoreType + ")"
		} else {
			s += " (detected)"
		}
	case "reference":
		s += "the reference BLAS " + b.Path
	default:
		s += b.Library + " BLAS (BLAS_INFO=" + b.BLASInfo + ")"
	}
	return s
}

// blasProbe runs one matrix product in torch, then reports which BLAS library the process mapped
// and, for OpenBLAS, its configuration and core (through ctypes).
const blasProbe = `
import ctypes, json, os, re, torch
a = torch.randn(64, 64); (a @ a).sum()
cfg = torch.__config__.show()
m = re.search(r"BLAS_INFO=(\w+)", cfg)
out = {"torch": torch.__version__, "blas_info": m.group(1) if m else "", "library": "unknown", "version": "", "core": "", "path": ""}
libs = []
try:
    for line in open("/proc/self/maps"):
        p = line.split()[-1]
        if re.search(r"lib(open)?blas[^/]*\.so", p) and p not in libs:
            libs.append(p)
except OSError:
    pass
for p in libs:
    lib = ctypes.CDLL(p)
    if hasattr(lib, "openblas_get_corename"):
        lib.openblas_get_corename.restype = lib.openblas_get_config.restype = ctypes.c_char_p
        out.update(library="OpenBLAS", path=p, core=lib.openblas_get_corename().decode(), version=lib.openblas_get_config().decode())
        break
    out.update(library="reference", path=os.path.realpath(p))
if out["library"] == "unknown" and "mkl" in out["blas_info"].lower():
    out["library"] = "MKL"
print(json.dumps(out))
`

// ProbeTorchBLAS asks python's torch which BLAS it runs, with OPENBLAS_CORETYPE=coreType in its
// environment ("": the environment as it is).
func ProbeTorchBLAS(python, coreType string) (TorchBLAS, error) {
	cmd := exec.Command(python, "-c", blasProbe)
	cmd.Env = referenceEnv(coreType)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return TorchBLAS{}, fmt.Errorf("bench: --vs-torch: %s cannot run torch: %v (%s)", python, err, strings.TrimSpace(lastLine(errb.String())))
	}
	var b TorchBLAS
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &b); err != nil {
		return TorchBLAS{}, fmt.Errorf("bench: --vs-torch: the BLAS probe's output: %v", err)
	}
	b.CoreType = coreType
	if coreType == "" {
		b.CoreType = os.Getenv("OPENBLAS_CORETYPE")
	}
	return b, nil
}

// referenceEnv is this process's environment with OPENBLAS_CORETYPE=coreType when coreType is set.
func referenceEnv(coreType string) []string {
	env := os.Environ()
	if coreType == "" {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") {
			out = append(out, kv)
		}
	}
	return append(out, "OPENBLAS_CORETYPE="+coreType)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// isaLevel ranks vector instruction sets: 1 SSE, 2 AVX, 3 AVX2 + FMA, 4 AVX-512.
var isaLevel = map[string]int{"avx512": 4, "avx2": 3}

// openBLASLevel is the instruction-set level of an OpenBLAS core's kernels (0: a name not known here).
func openBLASLevel(core string) int {
	switch strings.ToLower(core) {
	case "skylakex", "cooperlake", "sapphirerapids":
		return 4
	case "haswell", "zen":
		return 3
	case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator":
		return 2
	case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
		"nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
		return 1
	}
	return 0
}

// coreFor is the OpenBLAS core to ask for at an instruction-set level.
var coreFor = map[int]string{4: "SkylakeX", 3: "Haswell"}

// FairReference finds the reference's BLAS and makes it fair: when OpenBLAS runs a core older than
// this CPU supports (it misdetects the CPU under some hypervisors), the reference runs with
// OPENBLAS_CORETYPE set to the core that matches — for its own process only. It returns the BLAS the
// reference will run, the core type to give it ("" for none), and, when no fair ratio is possible,
// why (the reference BLAS, or a core still older than the CPU's).
func FairReference(python string) (b TorchBLAS, coreType, unfair string, err error) {
	if b, err = ProbeTorchBLAS(python, ""); err != nil {
		return b, "", "", err
	}
	switch b.Library {
	case "reference":
		return b, "", fmt.Sprintf("the reference runs the unoptimized reference BLAS (%s); a ratio against it means nothing (install an optimized BLAS, e.g. Debian's libopenblas0-pthread)", b.Path), nil
	case "OpenBLAS":
	default:
		return b, "", "", nil
	}
	want, have := isaLevel[kern.VectorISA()], openBLASLevel(b.Core)
	if have == 0 || have >= want {
		return b, "", "", nil
	}
	older := b.Core
	if os.Getenv("OPENBLAS_CORETYPE") == "" && coreFor[want] != "" {
		coreType = coreFor[want]
		if b, err = ProbeTorchBLAS(python, coreType); err != nil {
			return b, "", "", err
		}
		if openBLASLevel(b.Core) >= want {
			return b, coreType, "", nil
		}
	}
	return b, coreType, fmt.Sprintf("the reference's OpenBLAS runs the %s core, older than this CPU's %s (it detected %s); a ratio against it is not fair", b.Core, kern.VectorISA(), older), nil
}
