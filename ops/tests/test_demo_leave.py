"""`sipokat demo --leave`: which kelurahan the demo leaves to a person, named by code or name,
checked against the directory before anything is sent; and how the summary says where to sign
in (no I/O)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from random import Random

import pytest

from sipokat.ops import cli
from sipokat.ops.demo.console import format_hint, format_summary
from sipokat.ops.demo.leave import UnknownKelurahan, busiest, resolve
from sipokat.ops.demo.mix import CityMix
from sipokat.ops.demo.model import Account, ConsoleHint, DemoSummary, Tally
from sipokat.wilayah import City, Kecamatan, Kelurahan, load_default_directory

LUBUKLINGGAU = load_default_directory().city("16.73")
KEDIRI = load_default_directory().city("35.71")
PELITA_JAYA = "16.73.02.1019"


@pytest.mark.parametrize(
    "text", [PELITA_JAYA, "Pelita Jaya", "pelita jaya", "  PELITA   Jaya ", f" {PELITA_JAYA}"]
)
def test_a_kelurahan_is_named_by_its_code_or_its_name(text: str) -> None:
    found = resolve(LUBUKLINGGAU, text)
    assert found is not None and (found.code, found.name) == (PELITA_JAYA, "Pelita Jaya")


@pytest.mark.parametrize("text", ["none", "None", "NONE"])
def test_none_leaves_nobody(text: str) -> None:
    assert resolve(LUBUKLINGGAU, text) is None


def test_an_unknown_kelurahan_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownKelurahan) as refused:
        resolve(LUBUKLINGGAU, "16.73.02.9999")
    message = str(refused.value)
    assert "Kota Lubuk Linggau" in message and "16.73" in message
    assert f"{PELITA_JAYA} (Pelita Jaya)" in message  # an example that works


def test_a_kelurahan_of_another_city_is_refused() -> None:
    kediri = KEDIRI.kecamatan[0].kelurahan[0]
    for text in (kediri.code, kediri.name):
        with pytest.raises(UnknownKelurahan, match="no kelurahan of Kota Lubuk Linggau"):
            resolve(LUBUKLINGGAU, text)


def test_part_of_a_name_suggests_the_kelurahan_it_may_mean() -> None:
    with pytest.raises(UnknownKelurahan, match=r"did you mean 16\.73\.02\.1019 \(Pelita Jaya\)"):
        resolve(LUBUKLINGGAU, "pelita")


def test_a_name_two_kelurahan_share_asks_for_the_code() -> None:
    twins = [Kelurahan(code=f"99.01.01.100{n}", name="Sukamaju", rt_count=3) for n in (1, 2)]
    city = City(
        code="99.01",
        name="Kota Contoh",
        kecamatan=[Kecamatan(code="99.01.01", name="Contoh", kelurahan=twins)],
    )
    with pytest.raises(UnknownKelurahan, match=r"several .*99\.01\.01\.1001.*99\.01\.01\.1002"):
        resolve(city, "sukamaju")
    found = resolve(city, "99.01.01.1002")
    assert found is not None and found.code == "99.01.01.1002"


def test_the_busiest_kelurahan_is_the_one_the_mix_sends_most_over_runs() -> None:
    # One run's noise may favour another; over several runs Pelita Jaya gets far the most.
    assert busiest(LUBUKLINGGAU).code == PELITA_JAYA
    sent: Counter[str] = Counter()
    for seed in range(1, 7):
        mix = CityMix(load_default_directory(), "16.73", Random(seed), date(2026, 12, 7))
        sent.update(mix.next_report().rt_code.split("/")[0] for _ in range(1000))
    (first, most), (_, second) = sent.most_common(2)
    assert first == PELITA_JAYA and most > 2 * second
    assert busiest(KEDIRI).code == "35.71.01.1001"  # all alike there: the first, every run


def test_the_cli_leaves_the_busiest_unless_told() -> None:
    assert cli.demo_leave("16.73", None) == PELITA_JAYA
    assert cli.demo_leave("35.71", None) == busiest(KEDIRI).code
    assert cli.demo_leave("16.73", "Pelita Jaya") == PELITA_JAYA
    assert cli.demo_leave("16.73", "none") is None


def test_the_cli_refuses_a_bad_leave_before_it_starts() -> None:
    with pytest.raises(SystemExit, match=r"^--leave: 'Nowhere' is no kelurahan"):
        cli.main(["demo", "--leave", "Nowhere", "--gateway", "http://127.0.0.1:9"])


LURAH = Account("lurah", PELITA_JAYA, "Pelita Jaya", "081290000003", "Xy7pLurahPassword000")
PEMKOT = Account("pemkot", "16.73", "Kota Lubuk Linggau", "081290000004", "Pq9PemkotPassword000")
HINT = ConsoleHint("http://127.0.0.1:8000/console/", LURAH, 7, PEMKOT, "var/demo-accounts.json")


def test_the_hint_names_the_url_the_accounts_and_the_worklist() -> None:
    text = format_hint(HINT, PELITA_JAYA)
    assert "http://127.0.0.1:8000/console/" in text and "var/demo-accounts.json" in text
    assert "Pelita Jaya (16.73.02.1019): 7 reports in the worklist" in text
    for account in (LURAH, PEMKOT):
        assert account.phone in text and account.password in text
    assert "decides nothing" in text and "--leave" not in text


def test_without_leave_the_hint_suggests_it() -> None:
    assert f"--leave {PELITA_JAYA}" in format_hint(HINT, None)


def test_left_reports_are_settled_not_in_review() -> None:
    tally = Tally(reports={"a": "verified", "b": "awaiting_kelurahan", "c": "awaiting_kelurahan"})
    tally.held = {"b", "x"}  # x: decided by a person meanwhile, no longer awaiting the lurah
    tally.reports["x"] = "awaiting_kecamatan"
    assert tally.left == ["b"] and tally.settled == 2
    summary = DemoSummary.of(
        tally, seed=1, kota="16.73", elapsed=1, submit=1, leave=PELITA_JAYA, console=HINT
    )
    assert summary.left == ["b"] and summary.pending == 2  # c and x
    printed = format_summary(summary)
    left = f"waiting     1 for a person (left to the lurah of Pelita Jaya, {PELITA_JAYA})"
    assert left in printed
    assert printed.endswith(format_hint(HINT, PELITA_JAYA))


def test_the_cli_points_to_the_city_a_kelurahan_is_in() -> None:
    with pytest.raises(SystemExit, match=r"Pelita Jaya \(16\.73\.02\.1019\) .* --kota 16\.73$"):
        cli.demo_leave("35.71", "Pelita Jaya")
