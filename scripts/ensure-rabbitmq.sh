#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on RABBITMQ_URL's host (default localhost):
# installs Debian's rabbitmq-server where it is missing and starts it where it is stopped.
set -euo pipefail
url="${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1/}"
case "$url" in
  *@127.0.0.1*|*@localhost*|*://127.0.0.1*|*://localhost*) ;;
  *) echo "RABBITMQ_URL points at another host; not managing a local broker"; exit 0 ;;
esac
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
  echo "installing rabbitmq-server (Debian package)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq rabbitmq-server >/dev/null
fi
export PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin"
if ! timeout 60 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null \
   || ! as_root timeout 60 rabbitmqctl -q status >/dev/null 2>&1; then
  if pgrep -u rabbitmq beam.smp >/dev/null 2>&1; then
    # A node that runs but does not answer (seen after heavy test churn): restart it.
    echo "rabbitmq-server does not answer; restarting it"
    as_root timeout 30 rabbitmqctl -q stop >/dev/null 2>&1 || as_root pkill -9 -u rabbitmq beam.smp || true
    sleep 2
  fi
  echo "starting rabbitmq-server"
  as_root rabbitmq-server -detached
fi
as_root timeout 180 rabbitmqctl -q await_startup --timeout 120 >/dev/null
# A broker left by an interrupted restart test has its node up but the app stopped.
if ! as_root timeout 60 rabbitmq-diagnostics -q check_running >/dev/null 2>&1; then
  as_root timeout 120 rabbitmqctl -q start_app
fi
# The native stream protocol (port 5552): the fast reader of the event log (rstream). Idempotent;
# a broker without the plugin still works (readers fall back to AMQP 0-9-1), so never fatal.
if ! as_root timeout 60 rabbitmq-plugins -q is_enabled rabbitmq_stream >/dev/null 2>&1; then
  as_root timeout 120 rabbitmq-plugins -q enable rabbitmq_stream >/dev/null 2>&1 \
    || echo "could not enable rabbitmq_stream; event log readers use AMQP 0-9-1"
fi
echo "rabbitmq is running"
