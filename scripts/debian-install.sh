#!/usr/bin/env bash
# scripts/debian-install.sh PACKAGE...   installs Debian packages quietly, as root or through sudo.
# The one place where scripts/test-tools.sh (the tests' tools) and bench/run.sh (the benchmark's) install what a
# fresh machine lacks. No packages: nothing to do.
set -euo pipefail
[ "$#" -gt 0 ] || exit 0
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
