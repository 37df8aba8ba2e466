# Sourced by .ci/run (bash, set -euo pipefail) before the tests. The
# booking/pgstore tests start and kill their own PostgreSQL cluster (the
# kill -9 test must not take down a server other tests use), so this only
# makes sure PostgreSQL's binaries are installed and says where they are.

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq postgresql >/dev/null
fi
NHSKIT_PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
export NHSKIT_PG_BIN
echo "booking/pgstore: PostgreSQL binaries in $NHSKIT_PG_BIN"
