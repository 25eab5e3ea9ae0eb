package dns

import (
	"os"
	"path/filepath"
)

// ResolverName is the argv[0] under which the geedocker binary runs as the
// resolver (see IsResolver); its one argument is the records directory.
const ResolverName = "geedocker-resolver"

// IsResolver tells whether this process was started as the resolver.
func IsResolver() bool { return filepath.Base(os.Args[0]) == ResolverName }
