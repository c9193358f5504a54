"""`sipokat`: the ops CLI.

sipokat run                      start the services (SQLite stores), print the gateway URL and,
                                 on the first run, the first admin's one-time code
sipokat accounts first-admin     a new one-time admin code, from this machine's identity store
sipokat token --role lurah --wilayah 16.73.02.1019    mint a development token
sipokat schemas --out docs/events                     write the events' JSON Schemas
sipokat demo --rate 2 --duration 300                  simulate a city against a running platform
sipokat set-aside list analytics                      events a service's readers set aside
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from sipokat.events.envelope import Role
from sipokat.events.schema import write_json_schemas
from sipokat.ops.asyncapi_file import write_asyncapi
from sipokat.ops.deadletters import (
    DeadLetter,
    list_dead_letters,
    purge_dead_letters,
    replay_dead_letters,
    run,
)
from sipokat.ops.demo import DemoConfig, DemoSummary, run_demo
from sipokat.ops.demo.console import ProgressBar, format_hint, format_summary
from sipokat.ops.demo.leave import UnknownKelurahan, busiest, resolve
from sipokat.ops.demo.model import ConsoleHint
from sipokat.ops.firstrun import print_first_admin_code
from sipokat.ops.launcher import SERVICES, run_platform
from sipokat.ops.rebuild import REBUILD_PATHS, rebuild
from sipokat.ops.roster import credentials, import_roster
from sipokat.ops.setaside import list_set_aside, retry_set_aside
from sipokat.ops.status import print_status
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.wilayah import load_default_directory


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


def _asyncapi(args: argparse.Namespace) -> int:
    write_asyncapi(Path(args.out))
    print(args.out)
    return 0


def _status(args: argparse.Namespace) -> int:
    return print_status(ServiceSettings())


def _dlq(args: argparse.Namespace) -> int:
    settings = ServiceSettings()
    url, topology = settings.rabbitmq_url, settings.topology
    if args.action == "list":
        letters = run(list_dead_letters(url, topology, args.service, args.limit))
        for letter in letters:
            print(
                f"{letter.message_id}  {letter.routing_key:28} {letter.reason:15} "
                f"attempts={letter.attempts} replayed={letter.replayed} "
                f"at={letter.dead_lettered_at}"
            )
            print(f"    {letter.error[:300]}")
            if args.body:
                print(f"    {letter.body.decode(errors='replace')[:2000]}")
        print(f"{len(letters)} dead letter(s) in {topology.dead_letter_queue(args.service)}")
    elif args.action == "inspect":
        return _inspect(run(list_dead_letters(url, topology, args.service, args.limit)), args)
    elif args.action == "replay":
        count = run(replay_dead_letters(url, topology, args.service, args.message_id))
        print(f"replayed {count} into {topology.service_queue(args.service)}")
    else:
        count = run(purge_dead_letters(url, topology, args.service))
        print(f"purged {count} from {topology.dead_letter_queue(args.service)}")
    return 0


def _inspect(letters: list[DeadLetter], args: argparse.Namespace) -> int:
    """Everything about the dead letters named by --message-id: why, when, and the whole body."""
    if not args.message_id:
        raise SystemExit("dlq inspect needs --message-id (see `sipokat dlq list`)")
    wanted = [letter for letter in letters if letter.message_id in args.message_id]
    for letter in wanted:
        print(f"message_id        {letter.message_id}")
        print(f"routing key       {letter.routing_key}")
        print(f"reason            {letter.reason} after {letter.attempts} attempt(s)")
        print(f"dead-lettered at  {letter.dead_lettered_at}; replayed {letter.replayed} time(s)")
        print(f"error             {letter.error}")
        try:
            body = json.dumps(json.loads(letter.body), indent=2, ensure_ascii=False)
        except ValueError:  # an unparseable message: show it as it came
            body = letter.body.decode(errors="replace")
        print(body)
    missing = set(args.message_id) - {letter.message_id for letter in wanted}
    for message_id in sorted(missing):
        print(f"no dead letter {message_id} among the first {args.limit}", file=sys.stderr)
    return 1 if missing else 0


def _set_aside(args: argparse.Namespace) -> int:
    if args.action == "list":
        return list_set_aside(args.service, ServiceSettings(), args.reader, args.limit, args.body)
    return retry_set_aside(args.service, ServiceSettings(), args.reader, args.key)


def _rebuild(args: argparse.Namespace) -> int:
    return rebuild(args.service, ServiceSettings(), args.gateway)


async def _demo_until_interrupted(config: DemoConfig, quiet: bool, as_json: bool) -> DemoSummary:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def announce(hint: ConsoleHint) -> None:  # stdout stays the summary's with --json
        print(format_hint(hint, config.leave) + "\n", file=sys.stderr if as_json else sys.stdout)

    def interrupted() -> None:  # the first Ctrl-C ends the demo with its summary; a second aborts
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    loop.add_signal_handler(signal.SIGINT, interrupted)
    try:
        if quiet:
            return await run_demo(config, stop=stop, announce=announce)
        with ProgressBar(config) as bar:
            return await run_demo(config, observer=bar, stop=stop, announce=announce)
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def demo_leave(kota: str, leave: str | None) -> str | None:
    """`--leave`'s kelurahan code: by default the city's busiest kelurahan, so a plain
    `sipokat demo` leaves a worklist for a person; `none` for none."""
    directory = load_default_directory()
    city = directory.city(kota)
    if leave is None:
        return busiest(city).code
    try:
        kelurahan = resolve(city, leave)
    except UnknownKelurahan as exc:
        elsewhere = [other for other in directory.cities if other.code != kota]
        for other in elsewhere:  # the right kelurahan, the wrong --kota?
            with contextlib.suppress(UnknownKelurahan):
                if found := resolve(other, leave):
                    raise SystemExit(
                        f"--leave: {found.name} ({found.code}) is in {other.name}: add "
                        f"--kota {other.code}"
                    ) from None
        raise SystemExit(f"--leave: {exc}") from None
    return kelurahan.code if kelurahan else None


def _demo(args: argparse.Namespace) -> int:
    for name in ("rate", "speed", "duration", "reports", "concurrency"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise SystemExit(f"--{name} must be positive")
    config = DemoConfig(
        leave=demo_leave(args.kota, args.leave),
        gateway=args.gateway,
        kota=args.kota,
        rate=args.rate,
        duration=args.duration,
        reports=args.reports,
        speed=args.speed,
        seed=args.seed,
        concurrency=args.concurrency,
        drain=args.drain,
        data_dir=ServiceSettings().data_dir,
    )
    summary = asyncio.run(_demo_until_interrupted(config, args.quiet, args.json))
    if args.json:
        print(json.dumps({**asdict(summary), "rate_achieved": summary.rate_achieved}, indent=2))
    else:
        print(format_summary(summary))
    return 0 if summary.ok else 1


def _accounts_import(args: argparse.Namespace) -> int:
    phone, password = credentials(args.phone)
    return import_roster(
        args.roster,
        gateway=args.gateway,
        phone=phone,
        password=password,
        apply=args.apply,
        codes_out=args.codes_out,
    )


def _run(args: argparse.Namespace) -> int:
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        raise SystemExit(f"unknown service(s): {', '.join(sorted(unknown))}")
    return run_platform(services=args.services or list(SERVICES), base_port=args.base_port)


def _accounts(args: argparse.Namespace) -> int:
    if "identity" not in SERVICES:
        raise SystemExit("the identity service (sipokat.identity) is not installed")
    return print_first_admin_code()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sipokat", description="Sipokat ops CLI")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the platform on this machine")
    run.add_argument(
        "services", nargs="*", metavar="SERVICE", help=f"some of {', '.join(SERVICES)}"
    )
    run.add_argument(
        "--base-port",
        type=int,
        help="the gateway's port, the other services' the next ones (default 8000)",
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

    asyncapi = commands.add_parser("asyncapi", help="write the AsyncAPI 3.0 document (YAML)")
    asyncapi.add_argument("--out", default="docs/asyncapi.yaml")
    asyncapi.set_defaults(func=_asyncapi)

    status = commands.add_parser("status", help="readiness, consumer lag and dead letters")
    status.set_defaults(func=_status)

    dlq = commands.add_parser("dlq", help="list, inspect, replay or purge a service's dead letters")
    dlq.add_argument("action", choices=["list", "inspect", "replay", "purge"])
    dlq.add_argument("service", choices=SERVICES)
    dlq.add_argument("--limit", type=int, default=100, help="list at most this many")
    dlq.add_argument("--body", action="store_true", help="list: show the message bodies")
    dlq.add_argument(
        "--message-id",
        action="append",
        default=[],
        help="inspect: these; replay: only these (repeatable)",
    )
    dlq.set_defaults(func=_dlq)

    set_aside = commands.add_parser(
        "set-aside", help="list or retry the events a service's readers could not apply"
    )
    set_aside.add_argument("action", choices=["list", "retry"])
    set_aside.add_argument("service", choices=SERVICES)
    set_aside.add_argument("--reader", help="only this reader's (e.g. analytics.rebuild)")
    set_aside.add_argument("--key", help="retry: only this event (its id)")
    set_aside.add_argument("--limit", type=int, default=100, help="list at most this many")
    set_aside.add_argument("--body", action="store_true", help="list: show the events' bodies")
    set_aside.set_defaults(func=_set_aside)

    rebuild_views = commands.add_parser("rebuild", help="rebuild a running service's views")
    rebuild_views.add_argument("service", choices=sorted(REBUILD_PATHS))
    rebuild_views.add_argument("--gateway", help="gateway URL (default http://127.0.0.1:8000)")
    rebuild_views.set_defaults(func=_rebuild)

    demo = commands.add_parser("demo", help="simulate a city against a running platform")
    demo.add_argument("--gateway", default="http://127.0.0.1:8000", help="the gateway URL")
    demo.add_argument(
        "--kota", default="16.73", choices=["16.73", "35.71"], help="Lubuklinggau or Kediri"
    )
    demo.add_argument("--rate", type=float, default=2.0, help="reports per second (default 2)")
    demo.add_argument("--duration", type=float, help="seconds of submitting")
    demo.add_argument("--reports", type=int, help="submit this many (default: until Ctrl-C)")
    demo.add_argument(
        "--speed",
        type=float,
        default=1440.0,
        help="simulated seconds per real second for verifiers' and RTs' delays (default 1440: "
        "a day a minute)",
    )
    demo.add_argument("--seed", type=int, help="repeat a run's mix (printed in the summary)")
    demo.add_argument("--concurrency", type=int, default=32, help="requests in flight at most")
    demo.add_argument(
        "--drain",
        type=float,
        default=120.0,
        help="seconds to go on verifying after the last submission (default 120)",
    )
    demo.add_argument(
        "--leave",
        metavar="KELURAHAN",
        help="a kelurahan (code or name) whose lurah the demo does not play, so its reports "
        "wait for you in the console (default: the busiest; 'none' to play every lurah)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.set_defaults(func=_demo)

    accounts = commands.add_parser("accounts", help="accounts at the identity service")
    accounts_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    roster = accounts_commands.add_parser(
        "import", help="import the RT heads from a roster CSV (a dry run unless --apply)"
    )
    roster.add_argument("roster", type=Path, metavar="ROSTER.csv", help="rt,nama,telepon[,email]")
    mode = roster.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="apply", action="store_false", help="check only (default)")
    mode.add_argument("--apply", dest="apply", action="store_true", help="import")
    roster.add_argument("--gateway", default="http://127.0.0.1:8000", help="the gateway URL")
    roster.add_argument("--phone", help="the admin's phone number (or SIPOKAT_ADMIN_PHONE)")
    roster.add_argument(
        "--codes-out",
        type=Path,
        help="new file for the activation codes, mode 0600 (default ROSTER-codes-TIME.csv)",
    )
    roster.set_defaults(func=_accounts_import, apply=False)
    first_admin = accounts_commands.add_parser(
        "first-admin",
        help="on this machine: a new one-time code that makes its holder an admin (the first "
        "admin's while there is none)",
    )
    first_admin.set_defaults(func=_accounts)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
