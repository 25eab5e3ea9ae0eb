// Package netns makes the network namespaces of containers that outlive the process that
// made them: each is pinned by a bind mount of its nsfs file on an empty file (under the
// store's run directory, on /run's tmpfs), so a container's network keeps existing while
// its monitor, the engine and the API server come and go, and can be joined by path (the
// OCI spec's linux.namespaces[].path). Entering a namespace to configure it is the network
// package's business; this one only creates, pins and removes them.
package netns
