# Sourced by .ci/run (bash, set -euo pipefail) before the tests: starts a
# throwaway PostgreSQL on 127.0.0.1 and exports NHSKIT_PG_DSN for the
# pgstore tests. Installs PostgreSQL from Debian's packages when missing.

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq postgresql >/dev/null
fi
NHSKIT_PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
NHSKIT_PG_DIR="$(mktemp -d /tmp/nhskit-pg.XXXXXX)"
chown postgres:postgres "$NHSKIT_PG_DIR"
NHSKIT_PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 55432)"
su postgres -s /bin/bash -c "'$NHSKIT_PG_BIN/initdb' -D '$NHSKIT_PG_DIR/data' -A trust -U postgres >/dev/null"
su postgres -s /bin/bash -c "'$NHSKIT_PG_BIN/pg_ctl' -D '$NHSKIT_PG_DIR/data' -l '$NHSKIT_PG_DIR/log' -o \"-c listen_addresses=127.0.0.1 -c port=$NHSKIT_PG_PORT -c unix_socket_directories='$NHSKIT_PG_DIR' -c fsync=off\" -w start >/dev/null"
# The stress test restarts the server mid-run (pg_ctl stop -m immediate,
# a crash as far as clients and recovery see it): it needs these.
export NHSKIT_PG_BIN NHSKIT_PG_DIR
export NHSKIT_PG_DSN="postgres://postgres@127.0.0.1:$NHSKIT_PG_PORT/postgres?sslmode=disable"
echo "postgresql $("$NHSKIT_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$NHSKIT_PG_PORT"
