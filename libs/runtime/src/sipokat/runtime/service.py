"""What runs beside a service's HTTP API: its database, its relay and its consumer.

Each service's bootstrap describes itself with a `ServiceRuntime` and gets a FastAPI app from
`create_service_app`; the app's lifespan starts and stops everything.

A service's code gets its dependencies from one typed context (a frozen dataclass in its
`handlers.py`: database, settings, policy, clock, adapters), built once at start-up by the
`context` factory its bootstrap hands the runtime, once the database is open and before any
event is consumed. The factory is an async context manager, so what the service opens for
itself (an HTTP client, a second database, a thread pool) is closed when the service stops.
Event handlers are built from the context (`Subscription`), background jobs read
`runtime.context`, routes declare `Depends(context_of(TheContext))` (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import structlog
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from sipokat.events.broker.connection import BrokerLink
from sipokat.events.broker.consumer import BatchHandler, Consumer, Handler
from sipokat.events.broker.relay import Relay
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import BackgroundRebuild, Versioned, keep_current, outdated
from sipokat.events.logrebuild import LogView, Rebuilds, apply_set_aside
from sipokat.events.setaside import Retry, SetAside, parsed
from sipokat.events.store import Database, SetAsideEvent, open_database
from sipokat.runtime import metrics
from sipokat.runtime.apidocs import docs_router
from sipokat.runtime.auth import TokenVerifier
from sipokat.runtime.endedposts import EndedPosts, EndedPostsFeed, ended_posts_url
from sipokat.runtime.foldversion import fold_version_check
from sipokat.runtime.header_limit import HeaderSizeLimitMiddleware
from sipokat.runtime.health import Check, CheckResult, health_router
from sipokat.runtime.limits import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    TokenBuckets,
    bearer_subject_or_address,
)
from sipokat.runtime.logging import configure_logging
from sipokat.runtime.middleware import RequestContextMiddleware
from sipokat.runtime.problems import document_validation_problems, install_problem_handlers
from sipokat.runtime.setaside import set_aside_check, set_aside_router
from sipokat.runtime.settings import ServiceSettings
from sipokat.wilayah import configured_directory

log = structlog.get_logger(__name__)

C = TypeVar("C")

# How a service builds its context from the started runtime (its database, `append`, set-aside
# store and rebuilds are there); entered at start-up, exited when the service stops.
ContextFactory = Callable[["ServiceRuntime[C]"], AbstractAsyncContextManager[C]]

# A background job of a service (a deadline scheduler, a webhook sender, ...): it runs from start-up
# until the stop event is set, and must return soon after.
BackgroundJob = Callable[["ServiceRuntime[C]", asyncio.Event], Coroutine[Any, Any, None]]


def database_context(runtime: ServiceRuntime[Database]) -> AbstractAsyncContextManager[Database]:
    """The context of a service whose handlers need nothing but its database."""
    return contextlib.nullcontext(runtime.database)


@dataclass(frozen=True)
class Subscription(Generic[C]):
    """The routing keys a service consumes and how to build its handler from the service's
    context (and, for a service that folds many events in one transaction, its batch handler)."""

    bindings: Sequence[str]
    handler: Callable[[C], Handler]
    batch_handler: Callable[[C], BatchHandler] | None = None


class ServiceRuntime(Generic[C]):
    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        *,
        context: ContextFactory[C],
        publishes: bool = False,
        subscription: Subscription[C] | None = None,
        background: Sequence[BackgroundJob[C]] = (),
    ) -> None:
        self.name = name
        self._make_context = context
        # Boxed: a service's context may itself be falsy or None; None here means not started.
        self._context: tuple[C] | None = None
        self._resources = contextlib.AsyncExitStack()
        self._broker_links: list[BrokerLink] = []
        self._checks: dict[str, Check] = {}
        self.background = list(background)
        self.settings = settings
        self.publishes = publishes
        self.subscription = subscription
        self._database: Database | None = None
        self.relay: Relay | None = None
        self.consumer: Consumer | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._set_aside: SetAside | None = None
        # Each reader's way to re-apply an event it set aside (see `sipokat.events.setaside`).
        self.retries: dict[str, Retry] = {}
        self._folds: list[tuple[Versioned, Callable[[Database], BackgroundRebuild]]] = []
        # Each read model's rebuild, by its name, once started.
        self.rebuilds: dict[str, BackgroundRebuild] = {}
        # What a test swaps (`sipokat.runtime.testing.in_memory`): the store the settings name,
        # and whether the relay and consumer connect to the broker at all.
        self.opens_database: Callable[[], Awaitable[Database]] = self._open_configured_database
        self.uses_broker = True
        # The posts that ended lately, which the token verifier refuses the tokens of; fed
        # from the broker and identity once started (`sipokat.runtime.endedposts`).
        self.ended_posts = EndedPosts(settings.ended_posts_keep_minutes * 60)
        self.ended_posts_feed: EndedPostsFeed | None = None

    @property
    def consumer_reader(self) -> str:
        """The reader name under which the live consumer sets events aside."""
        return f"{self.name}.consumer"

    @property
    def context(self) -> C:
        """The service's context (see the module's note), once started."""
        if self._context is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._context[0]

    def add_check(self, name: str, check: Check) -> None:
        """A readiness check of something the service's context opens (added by the bootstrap,
        before `create_service_app`; it runs once started, so it may read `context`)."""
        self._checks[name] = check

    def add_broker_link(self, link: BrokerLink) -> None:
        """A broker connection the service holds besides the relay and consumer: readiness
        needs it too."""
        self._broker_links.append(link)

    @property
    def set_aside(self) -> SetAside:
        if self._set_aside is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._set_aside

    def add_reader(self, name: str, retry: Retry) -> None:
        self.retries[name] = retry

    def add_views(
        self, folded: Versioned, rebuild: Callable[[Database], BackgroundRebuild]
    ) -> None:
        """A read model with a fold version: rebuilt at start-up when its views were folded by
        another version (`sipokat.events.foldversion`); `rebuilds[folded.name]` once started."""
        self._folds.append((folded, rebuild))

    def add_log_view(self, view: LogView) -> None:
        """`add_views` for a fold of the event log, with its rebuild's set-aside retried."""
        s = self.settings

        def rebuilds(database: Database) -> BackgroundRebuild:
            return Rebuilds(
                database,
                view,
                s.rabbitmq_url,
                s.topology,
                s.rebuild_idle_seconds,
                stream_url=s.rabbitmq_stream_url,
                set_aside=self.set_aside,
            )

        async def fold_again(event: SetAsideEvent) -> None:  # a retry only folds, like a rebuild
            await apply_set_aside(self.database, view, event, here=self.rebuilds[view.name])

        self.add_views(view, rebuilds)
        self.add_reader(view.reader, fold_again)

    async def update_set_aside_gauge(self) -> dict[str, int]:
        counts = await self.database.views.set_aside_counts()
        for reader in {*self.retries, *counts}:
            metrics.SET_ASIDE.labels(self.name, reader).set(counts.get(reader, 0))
        return counts

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._database

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # whatever had opened is closed again
            raise

    async def _open_configured_database(self) -> Database:
        s = self.settings
        return await open_database(
            s.store_backend, service=self.name, data_dir=s.data_dir, mongodb_url=s.mongodb_url
        )

    async def _start(self) -> None:
        s = self.settings
        self._database = await self.opens_database()
        counted = metrics.EVENTS_SET_ASIDE
        self._set_aside = SetAside(
            self._database.views, lambda reader: counted.labels(self.name, reader).inc()
        )
        for folded, make in self._folds:  # made before the context, which may hold them
            self.rebuilds[folded.name] = make(self._database)
        self._context = (await self._resources.enter_async_context(self._make_context(self)),)
        await self._keep_folds_current()
        if self.uses_broker and s.identity_jwks_url:
            self.ended_posts_feed = EndedPostsFeed(
                self.ended_posts,
                s.rabbitmq_url,
                s.topology,
                ended_posts_url(s.identity_jwks_url),
                name=f"{s.broker_prefix}.{self.name}.ended-posts",
            )
            self._spawn(self.ended_posts_feed.run(self._stop))
        if self.publishes and self.uses_broker:
            self.relay = Relay(
                self._database.events,
                s.rabbitmq_url,
                s.topology,
                name=f"{s.broker_prefix}.{self.name}.relay",
                on_published=metrics.EVENTS_PUBLISHED.labels(self.name).inc,
                lease_ttl=s.relay_lease_seconds,
            )
            self._spawn(self.relay.run(self._stop))
        if self.subscription is not None:
            consumed = metrics.EVENTS_CONSUMED
            batch_handler = self.subscription.batch_handler
            handler = self.subscription.handler(self.context)
            set_aside, reader = self.set_aside, self.consumer_reader

            async def apply_again(event: SetAsideEvent) -> None:
                await handler(parsed(event))

            self.add_reader(reader, apply_again)
            if self.uses_broker:
                self.consumer = Consumer(
                    s.rabbitmq_url,
                    s.topology,
                    self.name,
                    self.subscription.bindings,
                    handler,
                    on_outcome=lambda outcome: consumed.labels(self.name, outcome).inc(),
                    batch_handler=batch_handler(self.context) if batch_handler else None,
                    on_handled=metrics.event_delay_observer(self.name),
                    set_aside=lambda envelope, exc: set_aside.keep_envelope(reader, envelope, exc),
                )
                self._spawn(self.consumer.run(self._stop))
        for job in self.background:
            self._spawn(job(self, self._stop))
        log.info("service.started", backend=s.store_backend, prefix=s.broker_prefix)

    async def _keep_folds_current(self) -> None:
        """Before the live consumer writes anything: views of another fold version start
        rebuilding now (queries see it running from the first request); a fresh store records
        the version."""
        views = self.database.views
        for folded, _ in self._folds:
            rebuild = self.rebuilds[folded.name]
            if await outdated(views, folded):
                rebuild.start()
                self._spawn(keep_current(views, folded, rebuild, self._stop))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(work))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
        self._tasks.clear()
        self.ended_posts_feed = None
        try:
            await self._resources.aclose()
        finally:
            self._context = None
            await self._close_database()
        log.info("service.stopped")

    async def _close_database(self) -> None:
        if self._database is not None:
            await self._database.close()
            self._database = None

    async def append(self, events: Sequence[Envelope]) -> list[int]:
        """Store events in this service's event store and wake the relay."""
        result = await self.database.events.append(events)
        if result.appended:
            for event in events:
                metrics.EVENTS_APPENDED.labels(self.name, event.type).inc()
        if self.relay is not None:
            self.relay.notify()
        return result.positions

    # ------------------------------------------------------------ readiness checks

    async def check_store(self) -> CheckResult:
        await self.database.ping()
        return CheckResult("pass")

    def broker_links(self) -> list[BrokerLink]:
        """Every connection this service holds to the broker; readiness needs all of them."""
        own = [x.link for x in (self.relay, self.consumer) if x is not None]
        return own + self._broker_links

    async def check_broker(self) -> CheckResult:
        links = self.broker_links()
        down = [link.name for link in links if not link.connected.is_set()]
        for link in links:
            metrics.BROKER_CONNECTED.labels(link.name).set(0 if link.name in down else 1)
        if down:
            return CheckResult("fail", output=f"not connected: {', '.join(down)}")
        return CheckResult("pass")

    async def check_relay_lag(self) -> CheckResult:
        assert self.relay is not None
        lag = await self.relay.lag()
        metrics.RELAY_LAG.labels(self.name).set(lag)
        return CheckResult("pass", observed_value=lag)

    async def check_consumer_lag(self) -> CheckResult:
        assert self.consumer is not None
        lag = await self.consumer.lag()
        if lag is None:
            return CheckResult("fail", output="consumer not connected")
        metrics.CONSUMER_LAG.labels(self.name).set(lag)
        too_far = lag > self.settings.ready_max_consumer_lag
        return CheckResult("fail" if too_far else "pass", observed_value=lag)

    async def check_ended_posts(self) -> CheckResult:
        """`warn`, never `fail`: identity out of reach must not take the service out of
        rotation (its tokens' posts that end meanwhile are refused once the event arrives)."""
        if self.ended_posts_feed is None:
            return CheckResult("pass", output="not followed: no broker")
        return await self.ended_posts_feed.check()

    def checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {
            "store:reachable": self.check_store,
            "broker:connection": self.check_broker,
            "readers:set_aside": lambda: set_aside_check(self),
        }
        if self.settings.identity_jwks_url:
            checks["identity:ended_posts"] = self.check_ended_posts
        for folded, _ in self._folds:
            name = "views:fold_version"
            checks[name if folded.name == self.name else f"{name}:{folded.name}"] = partial(
                fold_version_check, self, folded
            )
        if self.publishes:
            checks["relay:lag"] = self.check_relay_lag
        if self.subscription is not None:
            checks["consumer:lag"] = self.check_consumer_lag
        return checks | self._checks


def runtime_of(request: Request) -> ServiceRuntime[Any]:
    runtime: ServiceRuntime[Any] = request.app.state.runtime
    return runtime


def context_of(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """The dependency by which a service's routes read its context:
    `Verification = Annotated[VerificationContext, Depends(context_of(VerificationContext))]`.

    A coroutine function: FastAPI would run a plain one on its thread pool, a hop to another
    thread and back for every request."""

    async def context(request: Request) -> C:
        found = runtime_of(request).context
        if not isinstance(found, kind):
            raise TypeError(f"the service's context is a {type(found).__name__}, not {kind}")
        return found

    context.__name__ = f"{kind.__name__}_context"
    return context


def create_service_app(
    runtime: ServiceRuntime[Any],
    routers: Sequence[APIRouter],
    *,
    title: str,
    description: str = "",
    body_limits: Sequence[tuple[str, int]] = (),
    rate_limit_exempt: Sequence[str] = (),
    openapi_url: str | None = "/openapi.json",
    docs_document: str | None = None,
) -> FastAPI:
    """The app of a service: health, metrics, problem details, and at its edge, for every
    service alike (each is reachable on its own, not only through the gateway): the correlation
    id and access log, then the size of the request's head (431), then the per-client rate
    limit, then the body size limit —
    `settings.max_body_bytes`, or per path prefix from `body_limits`; paths under
    `rate_limit_exempt` (static files) are not counted. Tokens are checked
    against the configured directory of areas, kept as `app.state.directory`. `/docs` and
    `/redoc` show `docs_document` (the app's own document at `openapi_url` by default; the
    gateway serves its merged one itself) without a CDN (`sipokat.runtime.apidocs`)."""
    settings = runtime.settings
    configure_logging(runtime.name, settings.log_level, settings.log_format)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=openapi_url,
        docs_url=None,  # FastAPI's pages load from a CDN: ours below do not
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(settings, runtime.ended_posts)
    app.state.directory = configured_directory(settings.wilayah_file)
    app.state.token_verifier.check_wilayah(app.state.directory.level_of)
    install_problem_handlers(app)
    # Added innermost first. The body limit sits inside the rate limit, so a client over its
    # budget is refused before anything of its body is read; both inside the request context,
    # so their 413 and 429 answers carry the correlation id and are logged and counted.
    app.add_middleware(
        BodySizeLimitMiddleware, default_max_bytes=settings.max_body_bytes, limits=body_limits
    )
    app.add_middleware(
        RateLimitMiddleware,
        buckets=TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst),
        identify=bearer_subject_or_address(
            app.state.token_verifier, exempt=("/health", "/metrics", *rate_limit_exempt)
        ),
    )
    # The server bounds a request's head as it arrives (serve.py); this answers the same 431
    # under any other server, before the rate limiter verifies a token of any size.
    app.add_middleware(HeaderSizeLimitMiddleware, max_bytes=settings.max_header_bytes)
    app.add_middleware(RequestContextMiddleware, service=runtime.name)
    app.include_router(health_router(runtime.name, runtime.checks()))

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        with contextlib.suppress(Exception):  # the store's answer is the gauge's, when it has one
            await runtime.update_set_aside_gauge()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(set_aside_router(runtime))
    app.include_router(docs_router(title, docs_document or openapi_url or "/openapi.json"))

    for router in routers:
        app.include_router(router)
    document_validation_problems(app)
    return app
