#!/usr/bin/env bash
# Make sure what the tests talk to is there: a PostgreSQL on 127.0.0.1:5432 (trust auth,
# database `test`), Debian's chromium for the browser tests and nginx for the docs' TLS proxy. Installs and starts them on a
# machine that lacks them; does nothing where they already answer.
set -uo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq && apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "services: installing PostgreSQL"
  apt_install postgresql postgresql-client
fi
if ! pg_ready; then
  echo "services: starting PostgreSQL"
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q "modelreg-ci" "$hba" 2>/dev/null; then
      as_root sh -c "printf 'host all all 127.0.0.1/32 trust # modelreg-ci\nhost all all ::1/128 trust # modelreg-ci\nlocal all all trust # modelreg-ci\n' | cat - '$hba' > '$hba.new' && mv '$hba.new' '$hba'"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if pg_ready; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
  echo "services: PostgreSQL answers on 127.0.0.1:5432"
else
  echo "services: PostgreSQL is not available; its tests will be skipped"
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "services: installing chromium"
  apt_install chromium || echo "services: chromium could not be installed; browser tests will be skipped"
fi
if ! command -v nginx >/dev/null 2>&1; then
  echo "services: installing nginx (the docs' reverse proxy; the tests start their own)"
  apt_install nginx-light || echo "services: nginx could not be installed; its test will be skipped"
fi
exit 0
