"""docker-py against geedocker serve, for what the docker CLI checks itself
before it sends a request: HostConfig.Ulimits as the API takes them, -1
unlimited. Prints one line per step for the Go test (api_parity_test.go)."""
import docker

c = docker.from_env(version="auto", timeout=120)


def run_ulimit(soft, hard):
    try:
        out = c.containers.run(
            "busybox", ["sh", "-c", "echo $(ulimit -Sc) $(ulimit -Hc)"], remove=True,
            ulimits=[docker.types.Ulimit(name="core", soft=soft, hard=hard)])
        return out.decode().strip()
    except docker.errors.APIError as e:
        return "%d %s" % (e.status_code, e.explanation)


for soft, hard in [(-1, -1), (0, -1), (-1, 100), (200, 100), (-2, -2)]:
    print("ulimit", soft, hard, "->", run_ulimit(soft, hard))
print("left", [x.name for x in c.containers.list(all=True)])
