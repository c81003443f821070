# shellcheck shell=bash
# Starts a throwaway PostgreSQL cluster for the switchboard-sql tests and
# exports SWITCHBOARD_TEST_DATABASE_URL pointing at it.
#
# Meant to be sourced, not run, so the export reaches the caller:
#
#     source .ci/start-postgres.sh || exit 1
#     trap switchboard_stop_postgres EXIT
#     cargo test -p switchboard-sql --features sqlite,postgres
#
# - Installs PostgreSQL from Debian packages when no server is installed.
# - The cluster lives in a fresh temporary directory, trusts every local
#   connection (it listens on 127.0.0.1 only and holds nothing of value),
#   and uses its own port (SWITCHBOARD_PG_PORT, default 54329, or the next
#   free one), so it never touches a system cluster.
# - Started with pg_ctl as the `postgres` user when run as root (PostgreSQL
#   refuses to run as root; PID 1 here is no service manager).
# - If SWITCHBOARD_TEST_DATABASE_URL is already set, nothing is started:
#   the tests use that database.
#
# switchboard_stop_postgres stops the cluster and deletes its directory.

switchboard_pg_log() { echo "start-postgres: $*" >&2; }

switchboard_pg_as_owner() {
    # Runs a command as the cluster's owner.
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/bash -c "$1"
    else
        bash -c "$1"
    fi
}

switchboard_start_postgres() {
    if [ -n "${SWITCHBOARD_TEST_DATABASE_URL:-}" ]; then
        switchboard_pg_log "SWITCHBOARD_TEST_DATABASE_URL is set already; not starting a cluster"
        return 0
    fi

    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            switchboard_pg_log "PostgreSQL is not installed and installing it needs root"
            return 1
        fi
        switchboard_pg_log "installing PostgreSQL from Debian packages"
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }; then
            switchboard_pg_log "apt-get install postgresql failed"
            return 1
        fi
        bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
        if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
            switchboard_pg_log "no initdb under /usr/lib/postgresql/*/bin after installing"
            return 1
        fi
    fi

    # A port nobody listens on, starting from the requested one.
    local port=${SWITCHBOARD_PG_PORT:-54329} tries=0
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        port=$((port + 1))
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ]; then
            switchboard_pg_log "no free port near ${SWITCHBOARD_PG_PORT:-54329}"
            return 1
        fi
    done

    local dir
    dir=$(mktemp -d /tmp/switchboard-pg.XXXXXX) || return 1
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir" || return 1
    fi

    if ! switchboard_pg_as_owner "'$bindir/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 --no-sync" >"$dir/initdb.log" 2>&1; then
        switchboard_pg_log "initdb failed:"
        cat "$dir/initdb.log" >&2
        return 1
    fi
    # The socket goes in the cluster's own directory, not /var/run/postgresql
    # (which may not exist and belongs to the system cluster). A port that
    # looked free can still be taken (a client's outgoing connection may hold
    # it: these ports are in the kernel's ephemeral range), so a start that
    # fails on "Address already in use" moves to the next port.
    local started=0 attempt
    for attempt in 1 2 3 4 5; do
        if switchboard_pg_as_owner "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/pg.log' -w -t 60 \
                -o \"-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200\" start" >/dev/null; then
            started=1
            break
        fi
        if ! grep -q "Address already in use" "$dir/pg.log" 2>/dev/null; then
            break
        fi
        switchboard_pg_log "port $port was taken after all; trying $((port + 1))"
        port=$((port + 1))
        : >"$dir/pg.log"
    done
    if [ "$started" -ne 1 ]; then
        switchboard_pg_log "pg_ctl start failed; server log:"
        tail -n 30 "$dir/pg.log" >&2
        return 1
    fi

    SWITCHBOARD_PG_DIR=$dir
    SWITCHBOARD_PG_BINDIR=$bindir
    export SWITCHBOARD_PG_DIR SWITCHBOARD_PG_BINDIR

    if ! switchboard_pg_as_owner "'$bindir/psql' -h 127.0.0.1 -p $port -U postgres -qAt -c 'CREATE DATABASE switchboard_test'" >/dev/null; then
        switchboard_pg_log "could not create the test database"
        switchboard_stop_postgres
        return 1
    fi

    export SWITCHBOARD_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/switchboard_test"
    switchboard_pg_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') ready: $SWITCHBOARD_TEST_DATABASE_URL"
}

switchboard_stop_postgres() {
    if [ -n "${SWITCHBOARD_PG_DIR:-}" ] && [ -d "$SWITCHBOARD_PG_DIR/data" ]; then
        switchboard_pg_as_owner "'$SWITCHBOARD_PG_BINDIR/pg_ctl' -D '$SWITCHBOARD_PG_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
        rm -rf "$SWITCHBOARD_PG_DIR"
        unset SWITCHBOARD_TEST_DATABASE_URL
    fi
    unset SWITCHBOARD_PG_DIR SWITCHBOARD_PG_BINDIR
}

switchboard_start_postgres
