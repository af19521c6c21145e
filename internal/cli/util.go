package cli

import (
	"errors"
	"fmt"
	"strings"
)

// flagChecks collects one message per bad flag value, so that every bad flag is reported at once.
type flagChecks []string

// positive checks that --name is at least 1.
func (c *flagChecks) positive(name string, v int) {
	if v < 1 {
		*c = append(*c, fmt.Sprintf("--%s must be positive, got %d", name, v))
	}
}

// nonNegative checks that --name is at least 0.
func (c *flagChecks) nonNegative(name string, v int) { c.nonNegativeF(name, float64(v)) }

// nonNegativeF checks that the float flag --name is at least 0.
func (c *flagChecks) nonNegativeF(name string, v float64) {
	if v < 0 {
		*c = append(*c, fmt.Sprintf("--%s must not be negative, got %g", name, v))
	}
}

// err joins the messages with "; ", or is nil when every flag was good.
func (c flagChecks) err() error {
	if len(c) == 0 {
		return nil
	}
	return errors.New(strings.Join(c, "; "))
}
