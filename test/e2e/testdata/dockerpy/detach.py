"""docker-py against geedocker serve: the detach sequence of an attach
session and of an exec with a terminal (detachKeys, DetachKeys; Ctrl-P
Ctrl-Q by default) ends the session and leaves the process running. Prints
one line per step for the Go test (api_parity_test.go)."""
import docker

c = docker.from_env(version="auto", timeout=120)


def raw(sock):
    return getattr(sock, "_sock", sock)


def session(sock, send, keys):
    """Sends send, waits for its echo, sends the keys; says whether the
    server then ended the stream."""
    s = raw(sock)
    s.settimeout(60)
    s.sendall(send)
    seen = b""
    while send.strip() not in seen:
        b = s.recv(4096)
        if not b:
            return "ended early"
        seen += b
    s.sendall(keys)
    try:
        while s.recv(4096):
            pass
    except OSError as e:
        return "not ended: %s" % e
    s.close()
    return "ended"


ctr = c.containers.run("busybox", ["sh"], detach=True, tty=True, stdin_open=True, name="pydetach")
try:
    for keys, send in [(None, b"\x10\x11"), ("ctrl-x", b"\x18"), ("a,b", b"ab")]:
        params = {"stdin": 1, "stdout": 1, "stream": 1}
        if keys:
            params["detachKeys"] = keys
        sock = c.api.attach_socket(ctr.id, params=params)
        print("attach", keys, session(sock, b"echo hi\n", send))
        ctr.reload()
        print("after attach", ctr.status)
    try:
        c.api.attach_socket(ctr.id, params={"stdin": 1, "stream": 1, "detachKeys": "ctrl-1"})
    except docker.errors.APIError as e:
        print("bad keys", e.status_code, e.explanation)

    ex = c.api.exec_create(ctr.id, ["cat"], stdin=True, tty=True, detach_keys="ctrl-y")
    sock = c.api.exec_start(ex["Id"], socket=True, tty=True)
    print("exec", session(sock, b"ping\n", b"\x19"))
    print("exec running", c.api.exec_inspect(ex["Id"])["Running"])
    try:
        c.api.exec_create(ctr.id, ["cat"], stdin=True, tty=True, detach_keys="ctrl-yy")
    except docker.errors.APIError as e:
        print("bad exec keys", e.status_code, e.explanation)

    # A container the CLI started: the server reaches it through its monitor.
    cli = c.containers.get("clidetach")
    sock = c.api.attach_socket(cli.id, params={"stdin": 1, "stdout": 1, "stream": 1})
    print("attach to the CLI's", session(sock, b"echo hi\n", b"\x10\x11"))
    cli.reload()
    print("after attach", cli.status)
finally:
    ctr.remove(force=True)
    c.containers.get("clidetach").remove(force=True)
print("left", [x.name for x in c.containers.list(all=True)])
