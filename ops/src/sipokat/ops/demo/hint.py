"""How a person tries the console beside the demo: the URL, a lurah with a worklist and the
city office (pemkot), each a made-up demo account (made now if the run has not needed it)."""

from __future__ import annotations

from sipokat.ops.demo.gateway import Gateway
from sipokat.ops.demo.model import Account, ConsoleHint, DemoConfig
from sipokat.ops.demo.people import CREDENTIALS_FILE, Person
from sipokat.wilayah import City


async def _account(gateway: Gateway, role: str, wilayah: str, name: str) -> Account | None:
    headers = await gateway.auth(role, wilayah)  # signs in, or makes the account first
    kept = gateway.people.credentials.person(Person(role, wilayah))
    if not headers or kept is None:
        return None
    return Account(role, wilayah, name, kept["phone"], kept["password"])


async def _waiting(gateway: Gateway, kelurahan: str) -> int | None:
    """The lurah's worklist as the platform counts it (reports of earlier runs too)."""
    headers = await gateway.auth("lurah", kelurahan)
    answer = await gateway.send(
        "worklist", "GET", "/v1/verification/queue", headers, params={"limit": 1}
    )
    if answer is None or not answer.is_success:
        return None
    return int(answer.json()["counts"]["total"])


async def console_hint(
    config: DemoConfig, gateway: Gateway, city: City, kelurahan: str
) -> ConsoleHint:
    names = {kel.code: kel.name for kec in city.kecamatan for kel in kec.kelurahan}
    lurah = await _account(gateway, "lurah", kelurahan, names[kelurahan])
    return ConsoleHint(
        url=config.gateway.rstrip("/") + "/console/",
        lurah=lurah,
        lurah_waiting=await _waiting(gateway, kelurahan) if lurah else None,
        pemkot=await _account(gateway, "pemkot", city.code, city.name),
        credentials_file=str(config.data_dir / CREDENTIALS_FILE),
    )
