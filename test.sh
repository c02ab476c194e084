#!/usr/bin/env bash
# Runs every test against the real parts: PostgreSQL from the machine's binaries, an SMTP server on
# loopback (python3-aiosmtpd) and headless Chromium. Installs what is missing when run as root on
# Debian; otherwise says exactly what to install. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

# Tests__PostgresAdmin names an existing server (CI services); otherwise a private cluster is started.
# Tests__ChromiumPath names another Chromium build (e.g. google-chrome on hosted runners).
missing=()
have_postgres() { command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
[ -n "${Tests__PostgresAdmin:-}" ] || have_postgres || missing+=(postgresql)
[ -x "${Tests__ChromiumPath:-/usr/bin/chromium}" ] || missing+=(chromium)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The tests need these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

dotnet tool restore >/dev/null
dotnet test Receptionist.sln "$@"
