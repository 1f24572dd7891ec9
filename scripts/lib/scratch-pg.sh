# Sourced by scripts/sqlx-prepare and scripts/schema-dump: a scratch PostgreSQL cluster in
# var/sqlx-pg (independent of the service's own, so it works even when the crate does not build
# yet), and fresh databases in it with every migration applied.
#
# After sourcing, from the repository root:
#   scratch_start             starts the cluster (initdb on first use); sets PG_BINDIR and SCRATCH_DIR
#   scratch_migrate NAME      drops and recreates database NAME, applies migrations/*.sql in order,
#                             each in one transaction as the service's migrator does
#   scratch_psql ARGS...      psql on the cluster
#   scratch_url NAME          a connection URL for database NAME

scratch_find_bindir() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

scratch_as_owner() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi
}

scratch_start() {
  PG_BINDIR=$(scratch_find_bindir)
  [ -n "$PG_BINDIR" ] && [ -x "$PG_BINDIR/initdb" ] || { echo "PostgreSQL server programs not found" >&2; return 1; }
  SCRATCH_DIR="$PWD/var/sqlx-pg"
  if [ ! -f "$SCRATCH_DIR/PG_VERSION" ]; then
    mkdir -p "$SCRATCH_DIR"
    chmod 700 "$SCRATCH_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$SCRATCH_DIR"; fi
    (cd / && scratch_as_owner "$PG_BINDIR/initdb" -D "$SCRATCH_DIR" -U aixin --auth=trust -E UTF8 \
       --locale=C.UTF-8 --no-sync >/dev/null)
  fi
  if ! (cd / && scratch_as_owner "$PG_BINDIR/pg_ctl" -D "$SCRATCH_DIR" status >/dev/null); then
    (cd / && scratch_as_owner "$PG_BINDIR/pg_ctl" -D "$SCRATCH_DIR" -w -l "$SCRATCH_DIR/server.log" \
       -o "-c listen_addresses='' -k $SCRATCH_DIR -c fsync=off" start >/dev/null)
  fi
}

scratch_psql() {
  PGOPTIONS="-c client_min_messages=warning" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SCRATCH_DIR" -U aixin "$@"
}

scratch_migrate() {
  local name=$1 migration
  scratch_psql -d postgres -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  for migration in migrations/*.sql; do
    scratch_psql -d "$name" --single-transaction -f "$migration" >/dev/null
  done
}

scratch_url() {
  echo "postgres://aixin@localhost/$1?host=$SCRATCH_DIR"
}
