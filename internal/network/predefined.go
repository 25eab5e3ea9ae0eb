package network

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Predefined is one of Docker's networks besides the default bridge: "host"
// (the host's own network stack) and "none" (a loopback only). They need no
// bridge, no addresses and nothing on disk: what they are is fixed, their ID
// too, so that every command and the API show the same one.
type Predefined struct {
	Name   string
	ID     string
	Driver string // Docker's: "host" or "null"
}

var predefined = []Predefined{
	{Name: "host", ID: predefinedID("host"), Driver: "host"},
	{Name: "none", ID: predefinedID("none"), Driver: "null"},
}

func predefinedID(name string) string {
	sum := sha256.Sum256([]byte("geedocker predefined network " + name))
	return hex.EncodeToString(sum[:])
}

// PredefinedNetworks are host and none, in that order.
func PredefinedNetworks() []Predefined { return append([]Predefined(nil), predefined...) }

// LookupPredefined finds host or none by name, by ID, or by a prefix of
// the ID of at least 3 characters (as networks are found by ID prefix).
func LookupPredefined(ref string) (Predefined, bool) {
	for _, p := range predefined {
		if ref == p.Name || ref == p.ID || len(ref) >= 3 && strings.HasPrefix(p.ID, ref) {
			return p, true
		}
	}
	return Predefined{}, false
}

// IsPredefined says whether name is one of the networks Docker makes itself
// and never removes: bridge, host or none.
func IsPredefined(name string) bool {
	return name == DefaultName || name == "host" || name == "none"
}
