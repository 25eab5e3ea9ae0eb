package logs

import "github.com/geedocker/geedocker/internal/logs/logfile"

var appendEntry = logfile.AppendEntry
