# The two commands: `make run` starts the platform, `make test` runs the whole suite.
.PHONY: install broker browser asyncapi-parser app run test test-fast lint format schemas bench bench-quick chaos soak mongo-failover clean

UV := python3 -m uv

install:
	@scripts/ensure-uv.sh

broker:
	@scripts/ensure-rabbitmq.sh

browser:
	@bash scripts/install-chromium.sh

# The official AsyncAPI parser (Node.js, tests/asyncapi) that checks docs/asyncapi.yaml.
asyncapi-parser:
	@bash scripts/ensure-asyncapi-parser.sh

# The web apps (apps/rt, apps/console; one npm workspace): npm ci from apps/package-lock.json
# when that changed, then both builds.
app:
	@bash scripts/build-app.sh

run: install broker app
	$(UV) run sipokat run

test: install broker browser asyncapi-parser app
	$(UV) run pytest

# Everything but the end-to-end and broker-restart tests.
test-fast: install broker asyncapi-parser
	$(UV) run pytest -m "not e2e and not disruptive"

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy -p sipokat.events -p sipokat.runtime -p sipokat.wilayah \
		-p sipokat.intake -p sipokat.verification -p sipokat.analytics \
		-p sipokat.notification -p sipokat.identity -p sipokat.ops
	$(UV) run lint-imports

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

# Every benchmark beside its baseline, one table (docs/performance.md). About an hour.
bench: install broker
	$(UV) run --group bench python bench/run.py --write-doc

bench-quick: install broker
	$(UV) run --group bench python bench/run.py --quick

# The fault suite (tests/chaos) with each scenario's faults kept up CHAOS_SECONDS (a short run
# of it is part of `make test`); writes docs/reliability.md. About 11 minutes; `make soak`: about 1 hour.
CHAOS_SECONDS ?= 60

chaos: install broker
	$(UV) run python tests/chaos/report.py --seconds $(CHAOS_SECONDS)

soak: install broker
	$(UV) run python tests/chaos/report.py --seconds 600

# The MongoDB store through primary failovers on a three-member replica set (local mongod,
# Docker, or ARGS="--url mongodb://…"); docs/operations.md. About 5 minutes.
mongo-failover: install broker
	$(UV) run python scripts/mongo-failover.py $(ARGS)

schemas: install
	$(UV) run sipokat schemas --out docs/events

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
