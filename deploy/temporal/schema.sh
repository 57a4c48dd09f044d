#!/bin/sh
# Creates Temporal's two databases in PostgreSQL and brings their schemas up to date. Run again, it
# keeps what exists and applies only newer versions. docker-compose.yml's temporal-schema job and
# `npm run cluster` both run this file, with the variables of server.yaml beside it, plus:
#   TEMPORAL_SQL_TOOL    the sql tool of the server's version (temporal-sql-tool in the admin-tools image)
#   TEMPORAL_SCHEMA_DIR  its schema/postgresql/v12 folder (/etc/temporal/schema/postgresql/v12 there)
set -eu
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
schemas=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

sql() {
  SQL_PASSWORD=${POSTGRES_PWD:-} "$tool" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$POSTGRES_USER" "$@"
}

migrate() { # database, schema folder
  if ! out=$(sql --db "$1" create 2>&1); then
    case $out in
      *"already exists"*) ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
  sql --db "$1" setup-schema -v 0.0
  sql --db "$1" update-schema -d "$schemas/$2/versioned"
}

migrate "${DBNAME:-temporal}" temporal
migrate "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
