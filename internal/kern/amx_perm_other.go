//go:build amd64 && !linux

package kern

import "errors"

// amxRequestPerm: only the Linux way of enabling AMX tile state is implemented.
func amxRequestPerm() error { return errors.New("AMX tile state is only enabled on Linux") }
