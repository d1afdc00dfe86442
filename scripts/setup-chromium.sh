#!/usr/bin/env bash
# Makes headless Chromium available for the browser tests (tests/ui/, driven with puppeteer-core,
# which never downloads a browser): installs Debian's `chromium` package with apt-get only when no
# `chromium` is on PATH (scripts/apt-install.sh). Idempotent; prints the browser's path.
# Usage: bash scripts/setup-chromium.sh
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" chromium=chromium
