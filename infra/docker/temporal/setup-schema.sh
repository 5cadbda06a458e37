#!/bin/sh
# temporal-schema job: creates Temporal's two PostgreSQL databases and brings their schemas up
# to the version this admin-tools image ships. Every step is idempotent, so the job runs on
# every `up` and is also the upgrade step after bumping the Temporal image tags.
# Connection settings come from the environment (DB_PORT, POSTGRES_SEEDS, POSTGRES_USER,
# SQL_PASSWORD), as in the compose file.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  dir=$SCHEMA_DIR/${pair#*:}/versioned
  echo "Temporal schema: database $db from $dir"
  sql_tool --db "$db" create-database
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$dir"
done
echo "Temporal schema is up to date"
