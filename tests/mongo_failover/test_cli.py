"""The failover script's parts that run without a replica set: its arguments, what it says when
there is nothing to run on, and its failover schedule (against a replica set of states)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mongo_failover import cli, replset
from mongo_failover.replset import MemberState

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "mongo-failover.py"


def test_the_defaults_and_every_option_parse() -> None:
    args = cli.parser().parse_args([])
    assert (args.duration, args.writers, args.kills, args.replicas, args.url) == (
        60.0,
        4,
        2,
        2,
        None,
    )
    argv = (
        "--duration 12.5 --writers 8 --kills 0 --replicas 3 --down 2 --drain-timeout 30 "
        "--url mongodb://a,b,c/?replicaSet=rs0 --rabbitmq-url amqp://x/ --skip-suite "
        "--allow-redelivery --keep --verbose"
    )
    args = cli.parser().parse_args(argv.split(" "))
    assert (args.duration, args.writers, args.kills, args.replicas, args.down) == (
        12.5,
        8,
        0,
        3,
        2,
    )
    assert args.url == "mongodb://a,b,c/?replicaSet=rs0" and args.rabbitmq_url == "amqp://x/"
    assert args.skip_suite and args.allow_redelivery and args.keep and args.verbose


@pytest.mark.parametrize(
    "argv", [["--duration", "0"], ["--writers", "0"], ["--kills", "-1"], ["--kills", "x"]]
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == cli.EXIT_USAGE
    assert "mongo-failover: error: argument" in capsys.readouterr().err


def test_nothing_to_run_on_exits_3_and_says_what_would_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no mongod there
    monkeypatch.delenv("MONGOD", raising=False)
    monkeypatch.setattr(replset, "docker_available", lambda: False)
    assert cli.main(["--duration", "1"]) == cli.EXIT_UNAVAILABLE
    said = capsys.readouterr().err
    assert "no replica set to fail over" in said
    for way in ("mongod", "MONGOD=", "Docker", "--url"):
        assert way in said


def test_a_mongod_env_that_is_no_program_is_said_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONGOD", str(tmp_path / "mongod"))
    assert cli.main([]) == cli.EXIT_UNAVAILABLE
    assert f"MONGOD={tmp_path / 'mongod'} is not an executable file" in capsys.readouterr().err


def test_the_script_itself_exits_3_where_there_is_no_replica_set(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent),  # python, but no mongod
        "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock",
    }
    env.pop("MONGOD", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == cli.EXIT_UNAVAILABLE, done.stderr
    assert "no replica set to fail over" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_broker_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    # --url is taken without connecting; the broker is asked before anything starts.
    code = cli.main(
        ["--url", "mongodb://127.0.0.1:1/?replicaSet=rs0", "--rabbitmq-url", "amqp://127.0.0.1:1/"]
    )
    assert code == cli.EXIT_UNAVAILABLE
    assert "RabbitMQ does not answer" in capsys.readouterr().err


class ReplicaSetOfStates:
    """Three members' states, for the schedule: killing the primary elects the next member,
    bringing a member back makes it a secondary."""

    def __init__(self) -> None:
        self.url = "mongodb://a,b,c/?replicaSet=rs0"
        self.description = "states"
        self.states = {"a": "PRIMARY", "b": "SECONDARY", "c": "SECONDARY"}
        self.killed: list[str] = []

    async def start(self) -> None:
        return None

    async def status(self) -> list[MemberState]:
        return [MemberState(n, s, s != "DOWN") for n, s in self.states.items()]

    async def fail_primary(self) -> str:
        primary = next(n for n, s in self.states.items() if s == "PRIMARY")
        assert all(s != "DOWN" for s in self.states.values()), "killed before the last came back"
        self.states[primary] = "DOWN"
        self.killed.append(primary)
        survivor = next(n for n, s in self.states.items() if s == "SECONDARY")
        self.states[survivor] = "PRIMARY"
        return primary

    async def recover(self, name: str) -> None:
        self.states[name] = "SECONDARY"

    async def stop(self) -> None:
        return None


async def test_the_schedule_fails_each_primary_in_turn_and_waits_for_it_back() -> None:
    states = ReplicaSetOfStates()
    args = argparse.Namespace(url=None, kills=3, duration=0.3, down=0)
    report = cli.Report()
    disrupt = cli._disruption(states, args, report)
    await disrupt(time.monotonic())
    # Whoever is primary at each kill: a, then b (elected), then a again (back, then elected).
    assert states.killed == ["a", "b", "a"]
    assert [line.split(" at ")[0] for line in report.failovers] == [
        "1. killed a",
        "2. killed b",
        "3. killed a",
    ]
    assert "; b primary" in report.failovers[0] and "; a primary" in report.failovers[1]
    assert all(s != "DOWN" for s in states.states.values())


def test_the_report_lists_the_failures_after_the_verdict() -> None:
    from mongo_failover.check import check

    report = cli.Report()
    report.add("replica set", "states")
    report.failovers.append("1. killed a at 1.0 s")
    report.primaries += ["a", "b"]
    report.failures.append("the relays did not publish everything within 1 s")
    text = report.render(check([], [], []))
    assert text.index("RESULT:") < text.index("FAILED:\n  the relays did not publish")
    assert "primaries seen: a -> b" in text


async def test_a_mongod_that_exits_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    # A stand-in for mongod that writes its arguments to its log and exits as a mongod whose
    # port is taken does (48).
    fake = tmp_path / "mongod"
    fake.write_text(
        "#!/bin/sh\n"
        'flags="$*"\n'
        'while [ $# -gt 0 ]; do [ "$1" = --logpath ] && log="$2"; shift; done\n'
        'echo "started with $flags" > "$log"; exit 48\n'
    )
    fake.chmod(0o755)
    members = replset.LocalReplicaSet(str(fake))
    try:
        with pytest.raises(
            RuntimeError, match=r"mongod 127\.0\.0\.1:\d+ exited 48: started with"
        ) as raised:
            await members.start()
    finally:
        await members.stop()
    said = str(raised.value)
    port = int(said.split(":")[1].split()[0])
    i = members.ports.index(port)
    assert (
        f"--replSet rs0 --port {port} --bind_ip 127.0.0.1 --dbpath {members.workdir}/m{i}" in said
    )
    assert not members.workdir.exists()  # the temporary dbpaths are gone
