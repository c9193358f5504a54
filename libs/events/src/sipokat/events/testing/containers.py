"""Whether a Docker engine answers here, for the fixtures that start testcontainers."""


def docker_available() -> bool:
    try:
        # Here, not at the top: only the fixtures that would start a container ask, and the
        # docker client takes about 0.2 s to import.
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False
