package main

import (
	"runtime"

	"github.com/passbot/passbot/ops"
)

// Stamped by the build (the Dockerfile passes them):
//
//	go build -ldflags "-X main.version=1.4.0 -X main.commit=$(git rev-parse HEAD) -X main.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

func build() ops.Build {
	return ops.Build{Version: version, Commit: commit, Date: buildDate, GoVersion: runtime.Version()}
}
