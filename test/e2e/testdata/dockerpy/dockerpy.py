"""docker-py (the Docker SDK for Python) against geedocker serve: run a
container, read its logs, exec in it, use a network and a volume. Prints one
line per step for the Go test (dockerpy_test.go) to compare; removes what it
made, even on failure."""
import time

import docker

c = docker.from_env(version="auto", timeout=120)
print("ping", c.ping())
print("run", c.containers.run("busybox", ["sh", "-c", "echo hi; exit 0"], remove=True))
try:
    c.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 3"], remove=True)
except docker.errors.ContainerError as e:
    print("run failed", e.exit_status, e.stderr)

net = c.networks.create("pynet", driver="bridge", labels={"by": "docker-py"})
vol = c.volumes.create("pyvol", labels={"by": "docker-py"})
made = []
try:
    srv = c.containers.run(
        "busybox", ["sh", "-c", "echo \"$MSG\" > /data/f; echo ready; exec httpd -f -p 80 -h /data"],
        detach=True, name="pysrv", network="pynet", volumes={"pyvol": {"bind": "/data", "mode": "rw"}},
        environment={"MSG": "served"}, labels={"app": "py"})
    made.append(srv)
    for _ in range(600):
        if b"ready" in srv.logs():
            break
        time.sleep(0.05)
    srv.reload()
    print("status", srv.status, srv.name, srv.labels["app"])
    print("logs", srv.logs())
    r = srv.exec_run(["sh", "-c", "echo $MSG; exit 4"])
    print("exec", r.exit_code, r.output)
    r = srv.exec_run(["sh", "-c", "cat /data/f; echo e >&2"], demux=True)
    print("exec demux", r.exit_code, r.output)
    print("by name", c.containers.run("busybox", ["wget", "-q", "-O-", "http://pysrv/f"], network="pynet", remove=True))
    print("list", [x.name for x in c.containers.list(filters={"label": "app=py"})])
    print("networks", [n.name for n in c.networks.list(filters={"label": "by=docker-py"})])
    print("volumes", [v.name for v in c.volumes.list(filters={"label": "by=docker-py"})])
    print("volume data", c.containers.run("busybox", ["cat", "/v/f"], volumes=["pyvol:/v:ro"], remove=True))
    srv.stop(timeout=1)
    print("wait", srv.wait()["StatusCode"])
    srv.remove(v=True)
    made.remove(srv)
    try:
        c.containers.get("pysrv")
    except docker.errors.NotFound as e:
        print("gone", e.explanation)
finally:
    for x in made:
        x.remove(force=True)
    net.remove()
    vol.remove()
print("left", c.containers.list(all=True), [n.name for n in c.networks.list(names=["pynet"])], c.volumes.list())
