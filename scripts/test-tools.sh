#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks: mono (Debian) to run the real NuGet client,
# nuget.exe 5.8.0 (npm package nuget-exe, the Microsoft-signed binary) checked against its pinned sha256, and
# promtool (Debian package prometheus) to check the /metrics exposition, yamllint for k8s/, and PostgreSQL
# (Debian package postgresql) for the shared backend's tests, which start throwaway clusters of their own (the S3
# server, S3Proxy, comes from Maven Central with the build). Idempotent: a second run only checks. Everything goes
# to .cache/test-tools, outside src/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.cache/test-tools"
EXE="$TOOLS/node_modules/nuget-exe/nuget-5.8.0.exe"
SHA256="5c5b9c96165d3283b2cb9e5b65825d343e0e7139b9e70a250b4bb24c2285f3ba"

missing=""
command -v mono >/dev/null || missing="mono-devel ca-certificates-mono"
command -v npm >/dev/null || missing="$missing npm"
command -v promtool >/dev/null || missing="$missing prometheus"
command -v yamllint >/dev/null || missing="$missing yamllint"
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  echo "test-tools: installing $missing from Debian"
  # shellcheck disable=SC2086
  "$ROOT/scripts/debian-install.sh" $missing
fi

if [ ! -f "$EXE" ]; then
  echo "test-tools: installing nuget-exe@5.8.0 from npm into $TOOLS"
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error nuget-exe@5.8.0 >/dev/null
fi
echo "$SHA256  $EXE" | sha256sum -c --quiet
echo "test-tools: $(promtool --version 2>&1 | head -1)"
echo "test-tools: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres: $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)"
echo "test-tools: nuget.exe $(mono "$EXE" help 2>/dev/null | sed -n 's/^NuGet Version: //p') under $(mono --version | head -1 | cut -d' ' -f1-5)"
