package logfile

// Options are the log driver and its --log-opt settings.
type Options struct {
	// Driver is JSONFile ("" too), Local or None.
	Driver string
	// MaxSize is the size in bytes at which the file is rotated; 0 means
	// never.
	MaxSize int64
	// MaxFile is how many files the log keeps, the current one included;
	// 0 means 1. Without MaxSize it has no effect, as in Docker.
	MaxFile int
}
