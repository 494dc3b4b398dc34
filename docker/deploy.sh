#!/bin/sh
# One-shot deploy for docker-compose.yml (runs in the sqitch/sqitch image, which has psql).
#  1. as the superuser: the owner role motovault_owner (login, createrole) and the database,
#     exactly what `make up` does before sqitch (src/motovault/database.py);
#  2. as motovault_owner: sqitch deploy --set authenticator_password=... (the roles change
#     gives the authenticator this password); deploy verifies each change (sqitch.conf).
# Idempotent: a second run finds the role, the database and the plan in place.
set -eu
: "${MOTOVAULT_SUPERUSER_PASSWORD:?}" "${MOTOVAULT_OWNER_PASSWORD:?}" "${MOTOVAULT_AUTHENTICATOR_PASSWORD:?}"
DB_HOST="${DB_HOST:-db}"
DB_NAME="${DB_NAME:-motovault}"

PGPASSWORD="$MOTOVAULT_SUPERUSER_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 \
  -h "$DB_HOST" -U postgres -d postgres \
  -v owner_password="$MOTOVAULT_OWNER_PASSWORD" -v dbname="$DB_NAME" <<'SQL'
select format('create role motovault_owner login createrole password %L', :'owner_password')
where not exists (select from pg_roles where rolname = 'motovault_owner')
\gexec
alter role motovault_owner with login createrole password :'owner_password';
select format('create database %I owner motovault_owner', :'dbname')
where not exists (select from pg_database where datname = :'dbname')
\gexec
SQL

# Passwords are URL-encoded through psql-free sed: sqitch targets are URIs.
urlencode() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/\(..\)/%\1/g'; }
exec /bin/sqitch deploy \
  --target "db:pg://motovault_owner:$(urlencode "$MOTOVAULT_OWNER_PASSWORD")@${DB_HOST}:5432/${DB_NAME}" \
  --set authenticator_password="$MOTOVAULT_AUTHENTICATOR_PASSWORD"
