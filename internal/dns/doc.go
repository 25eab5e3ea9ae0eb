// Package dns resolves names on user-defined networks: one resolver
// process serves every container of a store, at 127.0.0.11:53 inside each
// container's network namespace, as Docker's embedded DNS answers there and
// as podman's aardvark-dns serves every network from one process.
//
// # Records
//
// The resolver's directory (the store's run directory, dns/) holds one
// file per network, net-<network>.json: its containers by ID, each with
// the names it answers to there (name, aliases, short ID, hostname), its
// addresses there, its pinned network namespace and the resolvers its
// other queries go to. Writers change them only through Publish,
// Unpublish and Forget, which take the directory's flock, rewrite the
// network's file whole (temporary file, rename), raise the serial file,
// make sure a resolver runs and send it SIGHUP, then wait until its
// status file says it loaded that serial. A query never reads a file: each
// load builds maps (network → name → addresses) that the servers read.
//
// # The resolver
//
// Main (Run with the signals wired) is the resolver program; cmd/geedocker
// calls it when started under the name ResolverName, as Ensure starts
// Program (/proc/self/exe unless a caller that is not geedocker sets it). At
// each load it opens, for every container it has not seen, a UDP and a TCP
// socket at Addr inside the container's namespace (a thread locked for the
// purpose switches in, creates them, switches back), and closes those of
// containers gone or restarted (another namespace behind the same pinned
// path); an address still in use (the sockets of a killed resolver whose
// last thread is not yet gone) is tried again shortly. Each container's
// server answers from the names of the networks
// that container is on, and forwards other names to its upstreams from its
// own namespace, or answers NXDOMAIN without upstreams.
//
// # Lifetime
//
//	writer:   lock; write file; serial++; Ensure (start one, or SIGHUP); unlock; await status ≥ serial
//	resolver: SIGHUP handled; pid file written; load; status written; … load on each SIGHUP
//	resolver: a load finds no container: lock, load again, still none: pid file removed, exit
//	monitor:  Watch: wait on the resolver's pidfd; dead while records exist: Ensure
//
// The pid file holds the resolver's PID and start time, so a reused PID is
// never taken for it; the kernel frees the flock of a writer that dies.
// A resolver started by Ensure has a session of its own and no descriptor
// of its starter but stdin, stdout and stderr on /dev/null.
//
// Server (with NewServer and Listen) is also usable alone: one container's
// DNS server on sockets the caller made.
package dns
