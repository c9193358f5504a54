"""Who may see or act on what: a principal's wilayah against a report's wilayah path."""

from __future__ import annotations

from sipokat.events.catalogue import WilayahPath
from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal


def covers(principal: Principal, path: WilayahPath) -> bool:
    """Whether the report's RT lies in the principal's jurisdiction.

    An RT head covers their own RT, a lurah their kelurahan, a camat their kecamatan, the city
    office (pemkot) their kota; an admin covers everything; integrators no single report.
    """
    area = {
        Role.KETUA_RT: path.rt_code,
        Role.LURAH: path.kelurahan_code,
        Role.CAMAT: path.kecamatan_code,
        Role.PEMKOT: path.kota_code,
    }
    if principal.role is Role.ADMIN:
        return True
    expected = area.get(principal.role)
    return expected is not None and principal.wilayah == expected
