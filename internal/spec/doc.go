// Package spec turns the options of `docker run` and an image's config into
// an OCI runtime-spec configuration (*specs.Spec), the way Docker (moby) builds
// its default spec in oci/defaults.go and daemon/oci_linux.go.
//
// The package only describes; it never touches the system. The flow is:
//
//	CLI flags ──Parse*/ResolveEnv──▶ Options ──Build──▶ *specs.Spec ──▶ runtime
//
// Step by step:
//
//  1. The CLI turns flag strings into values with ParseMemory, ParseCPUs,
//     ParseEnvFile and ResolveEnv (Docker's syntax and error wording).
//  2. The engine fills Options: those values, the image's v1.Config, the
//     rootfs path and the /etc/hosts, /etc/hostname and /etc/resolv.conf files
//     it prepared for the container.
//  3. Build validates the options (Docker's messages, one line each) and
//     returns a complete spec: process (args, env, cwd, user, capabilities,
//     rlimits), root, hostname, mounts, namespaces, masked and read-only
//     paths, devices and cgroup resources.
//  4. The runtime executes the spec as it is; nothing in it depends on the
//     host except the rootfs and bind sources the engine chose.
//
// What Build decides, in Docker's terms:
//
//   - Command: the image's Entrypoint and Cmd, replaced by --entrypoint and
//     the arguments after the image name. Giving --entrypoint (even "")
//     drops the image's Cmd; an empty result is "no command specified".
//   - Environment: PATH (Docker's default), HOSTNAME and, with a terminal,
//     TERM=xterm, then the image's and the user's variables over them; the
//     user's win, the later -e wins, and a bare "KEY" (from `-e KEY` with KEY
//     unset in the caller's environment) removes KEY altogether. Only the
//     image's and the user's variables are the container's Config.Env
//     (ContainerEnv), what inspect shows and commit keeps; PATH, HOSTNAME and
//     TERM are added for each process (ProcessEnv, ExecEnv), as Docker does.
//   - User: numeric "uid" or "uid:gid" go to User.UID/GID; anything with a
//     name in it is left in User.Username for the runtime to resolve against
//     the container's /etc/passwd and /etc/group.
//   - Capabilities: Docker's 14 defaults, --cap-add/--cap-drop with ALL,
//     or every capability when privileged; inheritable and ambient empty.
//   - Mounts: Docker's default /proc, /dev, /dev/pts, /sys, /sys/fs/cgroup,
//     /dev/mqueue, /dev/shm; then the network files, -v binds and --tmpfs,
//     ordered so that a parent directory is mounted before what lies below
//     it; a user mount replaces the default mount at the same place; with
//     --init the init binary is bind-mounted read-only at InitMountPath.
//   - Namespaces: mount, network, uts, pid, ipc, cgroup; no network
//     namespace with --network host. Mount propagation of the root is
//     rprivate unless a bind asks for shared or slave propagation.
//   - Seccomp: Docker's default profile (moby/profiles/seccomp), or the
//     JSON profile of --security-opt seccomp=FILE, evaluated for the
//     container's capabilities, architecture and kernel into
//     Linux.Seccomp; none with seccomp=unconfined or --privileged.
//   - Resources: --cpus as a CFS quota over a 100ms period, --cpu-shares,
//     --cpuset-cpus, --memory and --memory-swap (swap defaults to twice the
//     memory, -1 is unlimited), --pids-limit; device cgroup rules that deny
//     everything but the standard devices (all when privileged).
package spec
