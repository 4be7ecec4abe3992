#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (the service's `--db postgresql://...`).
#
#   .ci/postgres.sh [start]   install PostgreSQL if needed, start a private cluster on
#                             127.0.0.1, create database kpi_rules_test and print, alone
#                             on standard output:
#                               KPI_RULES_TEST_PG=postgresql://postgres@127.0.0.1:PORT/kpi_rules_test
#                             (with SQLAlchemy + psycopg 3: postgresql+psycopg://postgres@...)
#   .ci/postgres.sh url       print that line if the cluster is running (exit 1 if not)
#   .ci/postgres.sh status    exit 0 if it is running, 1 if not
#   .ci/postgres.sh stop      stop it (its files stay; `start` brings it back)
#   .ci/postgres.sh destroy   stop it and delete its files
#
# Typical use:   export "$(.ci/postgres.sh)"   ...tests...   .ci/postgres.sh stop
#
# Safe to run again: a running cluster is reused, a stopped one restarted. Nothing is
# registered with the system: no Debian cluster (pg_createcluster), no service, no
# cron job; only a data directory under $KPI_RULES_TEST_PG_DIR and one postgres
# process tree listening on 127.0.0.1 (trust authentication, loopback only), with
# durability turned off because the data is thrown away.
#
# Environment:
#   KPI_RULES_TEST_PG_DIR   where the cluster lives (default ${TMPDIR:-/tmp}/kpi-rules-test-pg)
#   KPI_RULES_TEST_PG_PORT  the port (default 55432; if taken by something else and not set
#                           explicitly, the next free port up to 55531 is used)
# When run as root the cluster belongs to the `postgres` user (initdb refuses root);
# otherwise it belongs to the calling user. The database superuser is `postgres` either way.
set -euo pipefail

DB_NAME=kpi_rules_test
DB_USER=postgres
STATE_DIR=${KPI_RULES_TEST_PG_DIR:-${TMPDIR:-/tmp}/kpi-rules-test-pg}
DATA_DIR=$STATE_DIR/data
LOG_FILE=$STATE_DIR/server.log
PORT_FILE=$STATE_DIR/port

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- the server binaries ----------------------------------------------------------------

find_bindir() {
  local d
  # Debian/Ubuntu: /usr/lib/postgresql/<major>/bin, newest major first.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"; return 0
    fi
  done
  # Elsewhere (other distributions, Homebrew, the postgres:* images): on PATH.
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

install_postgresql() {
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server binaries found and no apt-get to install them"
  [ "$(id -u)" -eq 0 ] || die "no PostgreSQL server binaries found; install them (apt-get install postgresql) as root"
  say "installing postgresql with apt-get..."
  # Do not let the package create and start the system-wide `main` cluster on port 5432:
  # the tests only need the binaries.
  if [ ! -e /etc/postgresql-common/createcluster.d/kpi-rules-ci.conf ]; then
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/kpi-rules-ci.conf
  fi
  # Wait for another apt/dpkg run (up to 10 minutes) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    postgresql postgresql-client >&2
}

BINDIR=$(find_bindir) || true

# --- running things as the cluster's owner ------------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
  OWNER=postgres
else
  OWNER=$(id -un)
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u "$OWNER" -- "$@"
    else
      su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

psql_c() {  # psql_c PORT DB SQL...: run SQL over TCP as the superuser, no ~/.psqlrc, no PG* surprises
  local port=$1 db=$2; shift 2
  env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD -u PGSERVICE -u PGOPTIONS \
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DB_USER" -d "$db" "$@"
}

is_running() {
  [ -n "$BINDIR" ] && [ -f "$DATA_DIR/PG_VERSION" ] && as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

port_in_use() {  # something answers on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_line() {
  echo "KPI_RULES_TEST_PG=postgresql://$DB_USER@127.0.0.1:$(cat "$PORT_FILE")/$DB_NAME"
}

# --- subcommands --------------------------------------------------------------------------

cmd_start() {
  if [ -z "$BINDIR" ]; then
    install_postgresql
    BINDIR=$(find_bindir) || die "apt-get installed postgresql but no initdb/pg_ctl were found"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id -u "$OWNER" >/dev/null 2>&1; then
    say "creating system user $OWNER"
    useradd --system --no-create-home --home-dir "$STATE_DIR" --shell /usr/sbin/nologin "$OWNER"
  fi

  mkdir -p "$STATE_DIR"
  chmod 0700 "$STATE_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown "$OWNER:" "$STATE_DIR"; fi

  # One start at a time (two CI steps racing each other).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/.lock"
    flock -w 120 9 || die "another postgres.sh is still running (lock $STATE_DIR/.lock)"
  fi

  if ! is_running; then
    # A half-made data directory (an initdb that was interrupted) is thrown away.
    if [ -e "$DATA_DIR" ] && [ ! -f "$DATA_DIR/PG_VERSION" ]; then
      rm -rf "$DATA_DIR"
    fi
    # A data directory from another PostgreSQL major version cannot be started: start over.
    if [ -f "$DATA_DIR/PG_VERSION" ]; then
      local have want
      have=$(cat "$DATA_DIR/PG_VERSION")
      want=$("$BINDIR/postgres" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')
      if [ "$have" != "$want" ]; then
        say "data directory is from PostgreSQL $have, the server is $want: recreating it"
        rm -rf "$DATA_DIR"
      fi
    fi
    if [ ! -f "$DATA_DIR/PG_VERSION" ]; then
      say "initdb $DATA_DIR (owner $OWNER, superuser $DB_USER, trust auth)"
      (cd / && as_owner "$BINDIR/initdb" -D "$DATA_DIR" -U "$DB_USER" -A trust -E UTF8 --no-locale \
         --no-sync >"$STATE_DIR/initdb.log" 2>&1) || { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
      # Loopback only, whatever the command line says.
      cat >"$DATA_DIR/pg_hba.conf" <<'EOF'
# kpi-rules test cluster: loopback and the private socket only, no passwords.
local   all  all                trust
host    all  all  127.0.0.1/32  trust
host    all  all  ::1/128       trust
EOF
      if [ "$(id -u)" -eq 0 ]; then chown "$OWNER:" "$DATA_DIR/pg_hba.conf"; fi
    fi

    local port=${KPI_RULES_TEST_PG_PORT:-55432}
    if port_in_use "$port"; then
      if [ -n "${KPI_RULES_TEST_PG_PORT:-}" ]; then
        die "port $port on 127.0.0.1 is already taken (KPI_RULES_TEST_PG_PORT)"
      fi
      local p
      for p in $(seq $((port + 1)) $((port + 99))); do
        port_in_use "$p" || { port=$p; break; }
      done
      port_in_use "$port" && die "no free port in 55432-55531 on 127.0.0.1"
    fi
    echo "$port" >"$PORT_FILE"

    say "starting PostgreSQL ($("$BINDIR/postgres" --version)) on 127.0.0.1:$port, log $LOG_FILE"
    # The socket goes into the state directory: no /var/run/postgresql needed, no clash
    # with a system cluster. fsync & co are off: the data is thrown away anyway.
    # (9>&-: the server must not inherit the lock, or it would hold it for its lifetime.)
    (cd / && as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 -o \
       "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$STATE_DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
       start >/dev/null 9>&-) || { tail -n 30 "$LOG_FILE" >&2 || true; die "pg_ctl start failed"; }
  else
    say "already running on 127.0.0.1:$(cat "$PORT_FILE") ($DATA_DIR)"
  fi

  local port
  port=$(cat "$PORT_FILE")
  # Wait until it takes TCP connections (pg_ctl -w already waits; this covers a restart race).
  local i
  for i in $(seq 1 60); do
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" && break
    sleep 0.5
  done
  "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" || die "the server on 127.0.0.1:$port does not answer"

  if [ "$(psql_c "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
    psql_c "$port" postgres -c "CREATE DATABASE $DB_NAME ENCODING 'UTF8' TEMPLATE template0"
    say "created database $DB_NAME"
  fi

  url_line
  # GitHub Actions: make it available to the following steps too.
  if [ -n "${GITHUB_ENV:-}" ]; then
    url_line >>"$GITHUB_ENV"
  fi
}

cmd_stop() {
  if is_running; then
    (cd / && as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >/dev/null)
    say "stopped"
  else
    say "not running"
  fi
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  destroy) cmd_stop; rm -rf "$STATE_DIR"; say "removed $STATE_DIR" ;;
  status) if is_running; then say "running on 127.0.0.1:$(cat "$PORT_FILE") ($DATA_DIR)"; else say "not running"; exit 1; fi ;;
  url) is_running || { say "not running"; exit 1; }; url_line ;;
  -h|--help|help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
  *) say "unknown command '$1' (start, stop, destroy, status, url)"; exit 2 ;;
esac
