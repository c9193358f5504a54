"""`sipokat`: the ops CLI.

sipokat run                      start the four services (SQLite stores), print the gateway URL
sipokat token --role lurah --wilayah 16.73.02.1019    mint a development token
sipokat schemas --out docs/events                     write the events' JSON Schemas
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from sipokat.events.envelope import Role
from sipokat.events.schema import write_json_schemas
from sipokat.ops.launcher import SERVICES, run_platform
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings


def _token(args: argparse.Namespace) -> int:
    token = mint_token(
        ServiceSettings(),
        subject=args.subject or f"{args.role}-{args.wilayah or 'all'}",
        role=args.role,
        wilayah=args.wilayah,
        name=args.name,
        ttl=timedelta(hours=args.hours),
    )
    print(token)
    return 0


def _schemas(args: argparse.Namespace) -> int:
    for path in write_json_schemas(Path(args.out)):
        print(path)
    return 0


def _run(args: argparse.Namespace) -> int:
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        raise SystemExit(f"unknown service(s): {', '.join(sorted(unknown))}")
    return run_platform(services=args.services or list(SERVICES))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sipokat", description="Sipokat ops CLI")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the platform on this machine")
    run.add_argument(
        "services", nargs="*", metavar="SERVICE", help=f"some of {', '.join(SERVICES)}"
    )
    run.set_defaults(func=_run)

    token = commands.add_parser("token", help="mint a development token (HS256)")
    token.add_argument("--role", required=True, choices=[str(r) for r in Role if r != Role.SYSTEM])
    token.add_argument("--wilayah", help="RT, kelurahan, kecamatan or kota code")
    token.add_argument("--subject", help="the sub claim (default: role and wilayah)")
    token.add_argument("--name", help="display name")
    token.add_argument("--hours", type=float, default=12, help="lifetime (default 12)")
    token.set_defaults(func=_token)

    schemas = commands.add_parser("schemas", help="write the JSON Schema of every event")
    schemas.add_argument("--out", default="docs/events")
    schemas.set_defaults(func=_schemas)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
