//go:build linux && amd64

package kern

import (
	"errors"
	"syscall"
)

// amxRequestPerm asks Linux (5.16+) for the AMX tile state, which a process gets only on request:
// arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA). The permission covers all its threads.
func amxRequestPerm() error {
	const archReqXcompPerm, xfeatureXtileData = 0x1023, 18
	if _, _, e := syscall.Syscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtileData, 0); e != 0 {
		return errors.New("the kernel refused AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM): " + e.Error())
	}
	return nil
}
