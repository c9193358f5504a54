"""The rules of accounts and sign-in, without I/O, one module each; `now` is always passed in.

- `refusals`: what a refused input says, by the rule's code (`Refused`, `RULES`);
- `people`: phone numbers, emails, posts and the level of wilayah each role is for;
- `passwords`: the password and PIN rule;
- `sessions`: refresh-token families and what presenting a token does;
- `throttle`: failed attempts per phone number and per address;
- `resets`: help nearby: who may reset whose password, what a helper sees of the people.
"""

from sipokat.identity.domain.passwords import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    PIN_MIN,
    check_password,
    weakness,
)
from sipokat.identity.domain.people import (
    POST_LEVEL,
    POST_ROLES,
    LevelOf,
    Post,
    check_post,
    normalize_email,
    normalize_phone,
)
from sipokat.identity.domain.refusals import RULES, WEAK_WHY, Refused
from sipokat.identity.domain.sessions import Exchange, Family, exchange, revoked, rotated
from sipokat.identity.domain.throttle import Throttle, ThrottleRule, throttle_key

__all__ = [
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "PIN_MIN",
    "POST_LEVEL",
    "POST_ROLES",
    "RULES",
    "WEAK_WHY",
    "Exchange",
    "Family",
    "LevelOf",
    "Post",
    "Refused",
    "Throttle",
    "ThrottleRule",
    "check_password",
    "check_post",
    "exchange",
    "normalize_email",
    "normalize_phone",
    "revoked",
    "rotated",
    "throttle_key",
    "weakness",
]
