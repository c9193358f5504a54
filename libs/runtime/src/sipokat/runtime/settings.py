"""Settings shared by every service, from the environment (prefix SIPOKAT_)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sipokat.events.broker.topology import Topology

DEFAULT_PORTS = {
    "intake": 8000,
    "verification": 8001,
    "analytics": 8002,
    "notification": 8003,
    "identity": 8004,
}


def installed_services() -> list[str]:
    """The services of DEFAULT_PORTS whose package is installed, in port order: a deployment
    (or a checkout) without the identity service still runs the others."""
    return [name for name in DEFAULT_PORTS if importlib.util.find_spec(f"sipokat.{name}")]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIPOKAT_", extra="ignore")

    store_backend: Literal["sqlite", "mongodb"] = "sqlite"
    data_dir: Path = Path("var")
    rabbitmq_url: str = Field(
        default="amqp://guest:guest@127.0.0.1/",
        validation_alias=AliasChoices("RABBITMQ_URL", "SIPOKAT_RABBITMQ_URL"),
    )
    mongodb_url: str | None = Field(
        default=None, validation_alias=AliasChoices("MONGODB_URL", "SIPOKAT_MONGODB_URL")
    )
    # Every broker name hangs off this prefix: `sipokat.events`, `sipokat.<service>`, ...
    broker_prefix: str = "sipokat"
    # The native stream protocol (rabbitmq_stream plugin), the fast reader of the event log:
    # `rabbitmq-stream://user:password@host:5552/vhost`. Unset: the AMQP URL's host and
    # credentials on port 5552; `off`: always read the log over AMQP 0-9-1. Used when it answers.
    rabbitmq_stream_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RABBITMQ_STREAM_URL", "SIPOKAT_RABBITMQ_STREAM_URL"),
    )
    # A replay of the event log over AMQP 0-9-1 (a view rebuild) ends once no event arrived for
    # this long (the native reader stops at the log's last entry instead).
    rebuild_idle_seconds: float = Field(default=2.0, gt=0)

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    http_host: str = "127.0.0.1"
    http_port: int | None = None

    # The trusted issuers (auth.py picks one by a token's `iss`, each with its own keys and
    # algorithm): the development tokens (`sipokat token`, tests), HS256 with the shared secret,
    # off in production; the identity service, RS256 from its JWKS; optionally a city's own
    # identity provider, RS256 from its JWKS. Every token's `aud` must be `jwt_audience`.
    jwt_audience: str = "sipokat"
    jwt_secret: SecretStr = SecretStr("dev-secret-change-me-at-least-32-bytes")
    jwt_issuer: str = "sipokat-dev"
    jwt_dev_tokens: bool = True
    identity_issuer: str = "sipokat-identity"
    # None (an empty SIPOKAT_IDENTITY_JWKS_URL) trusts no identity service.
    identity_jwks_url: str | None = "http://127.0.0.1:8004/.well-known/jwks.json"
    jwks_url: str | None = None
    jwks_issuer: str | None = None
    # A JWKS is fetched off the event loop and kept this long; a token naming a key (`kid`) it
    # lacks fetches it again, at most once per cooldown, so a rotated key works without a restart
    # and made-up kids cannot hammer the issuer. Past the timeout the issuer counts as down (503).
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_refetch_cooldown_seconds: float = Field(default=5.0, ge=0)
    jwks_timeout_seconds: float = Field(default=3.0, gt=0)
    # Another city's directory of areas (intake's, in the shape of the shipped wilayah.json):
    # every service refuses tokens naming a wilayah that is not in it.
    wilayah_file: Path | None = None
    # A verified token is remembered this long (and never past its exp), so a client's
    # requests pay for the signature check once, not every time. 0 turns it off.
    jwt_cache_seconds: float = 60.0
    # An identity token whose post ended is refused at once (`sipokat.runtime.endedposts`); an
    # ended post is remembered this long: the longest access-token lifetime identity allows
    # (60 minutes) plus a leeway for clocks. Older, every token it could refuse has expired.
    ended_posts_keep_minutes: float = Field(default=65.0, gt=0)
    # Signs the short-lived photo links an `<img>` loads without a token (media.py): the service
    # that hands them out and the gateway that serves the photos share it. Change it in
    # production, like the JWT secret.
    media_url_secret: SecretStr = SecretStr("dev-media-secret-change-me-at-least-32-bytes")

    # Limits at every service's edge. JSON bodies are small (intake allows more for photos).
    max_body_bytes: int = 256 * 1024
    # The request line and header fields together (431 beyond): a bearer token is a few KiB.
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    # Per client (the verified token's subject, else the address; behind the gateway, the
    # address it forwards from an allowed proxy — uvicorn's FORWARDED_ALLOW_IPS), every route.
    rate_limit_per_second: float = 20.0
    rate_limit_burst: int = 60
    # Whose X-Forwarded-For is believed (uvicorn's setting; None: its default, 127.0.0.1).
    # The gateway keeps the default, so a client cannot name its own address; a service behind
    # it in containers must trust the gateway's address, or every client looks like the gateway.
    forwarded_allow_ips: str | None = Field(
        default=None,
        validation_alias=AliasChoices("FORWARDED_ALLOW_IPS", "SIPOKAT_FORWARDED_ALLOW_IPS"),
    )

    # /health/ready fails while more messages than this wait in the service's queue.
    ready_max_consumer_lag: int = 10_000
    # How long a replica's relay holds the publishing lease without renewing it (it renews about
    # every second): the longest a standby waits to take over from a replica that died.
    relay_lease_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _issuers_apart(self) -> Self:
        if self.jwks_url and not self.jwks_issuer:
            raise ValueError("SIPOKAT_JWKS_URL needs SIPOKAT_JWKS_ISSUER: the `iss` of its tokens")
        issuers = [self.jwt_issuer, self.identity_issuer, self.jwks_issuer]
        named = [issuer for issuer in issuers if issuer]
        if len(set(named)) != len(named):
            # A token's issuer picks the key and algorithm that verify it: two with one name
            # would let one issuer's tokens be checked by the other's rules.
            raise ValueError(f"the trusted issuers must differ: {named}")
        return self

    @property
    def topology(self) -> Topology:
        return Topology(self.broker_prefix)

    def port_for(self, service: str) -> int:
        return self.http_port or DEFAULT_PORTS.get(service, 8000)
