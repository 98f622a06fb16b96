#!/usr/bin/env bash
# System packages the tests need beyond Python: Chromium (the HTML report is rendered in
# it), PostgreSQL (the Prefect server of the scale-out test), and Go with Debian's
# golang.org/x/mod source (Go's sumdb note and tlog check our transparency log, offline, in
# tests/integration/test_tlog_go_interop.py), and OpenSSH's ssh-keygen (people's act
# signatures are checked with `ssh-keygen -Y verify`, tests/integration/test_people.py).
# Installs what is missing
# when run as root (CI, a fresh machine); otherwise says what to install.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing+=(golang-golang-x-mod-dev)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster of its own; the tests start their own on free ports.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  service postgresql stop >/dev/null 2>&1 || true
fi
