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

// Program is the binary Ensure starts as the resolver (under the name
// ResolverName); it must call Main when so named, as cmd/geedocker does. A
// process that is not that binary (a small monitor program) sets it to
// the geedocker binary's path before it calls Publish or Watch.
var Program = "/proc/self/exe"
