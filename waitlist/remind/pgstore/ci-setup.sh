# Sourced by .ci/run (bash, set -euo pipefail) before the tests. The
# reminder store's tests share the throwaway PostgreSQL that
# waitlist/pgstore/ci-setup.sh starts (sourced before this one, as .ci/run
# sources the modules in path order) and its NHSKIT_PG_DSN; each test uses
# a schema of its own. Should that script not have run, it is sourced
# here.
if [[ -z "${NHSKIT_PG_DSN:-}" ]]; then
	# shellcheck source=/dev/null
	source waitlist/pgstore/ci-setup.sh
fi
echo "waitlist/remind/pgstore: PostgreSQL at ${NHSKIT_PG_DSN%%/postgres?*}"
