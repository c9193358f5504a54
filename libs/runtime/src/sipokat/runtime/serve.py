"""Run one service: `python -m sipokat.runtime.serve intake` (or verification, analytics, ...)."""

from __future__ import annotations

import argparse
import importlib

import uvicorn

from sipokat.runtime.header_limit import BoundedHttpToolsProtocol
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=sorted(DEFAULT_PORTS))
    parser.add_argument("--port", type=int, help="overrides SIPOKAT_HTTP_PORT")
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    bootstrap = importlib.import_module(f"sipokat.{args.service}.bootstrap")
    app = bootstrap.create_app()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=args.port or settings.port_for(args.service),
        log_config=None,  # structlog owns logging
        # Request heads bounded while they arrive (header_limit.py): 431 past the limit.
        http=BoundedHttpToolsProtocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        access_log=False,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
