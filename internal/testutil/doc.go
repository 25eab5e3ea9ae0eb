// Package testutil holds fixtures shared by GeeDocker's tests; it is imported
// only from _test.go files.
//
// # Registry
//
// StartRegistry runs a real registry (Debian's docker-registry, the CNCF
// distribution registry 2.8) as a child process of the test binary:
//
//  1. a free 127.0.0.1 port is picked and a config file, storage directory
//     and, when credentials are asked for, a bcrypt htpasswd file are written
//     into t.TempDir();
//  2. the process is started (on Linux with a parent-death signal, so it dies
//     with the test binary even when t.Cleanup never runs) and /v2/ is polled
//     until it answers, with a bounded deadline;
//  3. t.Cleanup kills that process by PID, waits for it, and the testing
//     package then removes the temp dir.
//
// The test is skipped when the binary is missing, or fails when
// GEEDOCKER_REQUIRE_REGISTRY=1 (CI sets it so a missing package cannot turn
// the end-to-end tier into silent skips). scripts/test-deps.sh installs it.
//
// # Images
//
// Images are built offline and deterministically from the host's static
// busybox (/bin/busybox, package busybox-static): BusyboxRootfsTar is a
// minimal root filesystem, and the image builders wrap it (and hand-written
// layers: whiteouts, path-escape attempts, random data) in go-containerregistry
// v1.Image values. Push and PushIndex upload them to a Registry; they send the
// registry's credentials when it was started with some.
//
// # The geedocker binary
//
// BuildGeedocker builds ./cmd/geedocker once per test binary (or returns
// $GEEDOCKER_BIN) and Run runs it with a timeout, so a hang fails the test
// instead of blocking the suite. A package that calls BuildGeedocker should
// call Main from its TestMain so the built binary is removed at exit.
package testutil
