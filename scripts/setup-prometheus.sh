#!/usr/bin/env bash
# Makes `promtool` available for tests/observability/promtool.test.ts (`promtool check metrics`
# on the gateway's /metrics): installs Debian's `prometheus` package, which ships it, with apt-get,
# only when promtool is missing (scripts/apt-install.sh). Idempotent; prints promtool's path.
# The package also holds the Prometheus server, whose service is not started where there is no
# init system (containers, CI: invoke-rc.d blocks it); nothing here starts it.
# Usage: bash scripts/setup-prometheus.sh
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" promtool=prometheus
