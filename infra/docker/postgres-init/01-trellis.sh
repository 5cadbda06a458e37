#!/bin/sh
# Runs once, when the postgresql service starts on an empty data volume
# (/docker-entrypoint-initdb.d). One server, two owners: Temporal's role creates its own two
# databases (temporal-schema job); the app gets its own role and database, so neither can
# touch the other's tables. Passwords come from the environment, not from this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="${TEMPORAL_DB_PASSWORD:?}" \
  -v trellis_password="${TRELLIS_DB_PASSWORD:?}" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE trellis LOGIN PASSWORD :'trellis_password';
CREATE DATABASE trellis OWNER trellis;
SQL
