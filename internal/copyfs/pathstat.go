package copyfs

import (
	"os"
	"time"
)

// PathStat describes one path of a root as Docker's archive endpoints
// report it: the entry itself, a final symbolic link not followed.
type PathStat struct {
	Name       string      `json:"name"`
	Size       int64       `json:"size"`
	Mode       os.FileMode `json:"mode"`
	Mtime      time.Time   `json:"mtime"`
	LinkTarget string      `json:"linkTarget"` // a link's target, resolved in the root
}

// ExtractOptions tune Root.ExtractWith.
type ExtractOptions struct {
	// NoOverwriteDirNonDir refuses an entry that would replace a directory
	// with a non-directory, or the reverse.
	NoOverwriteDirNonDir bool
	// RootOwned makes every extracted entry root's, whatever the tar says.
	RootOwned bool
}
