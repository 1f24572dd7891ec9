# Stops a disposable PostgreSQL cluster once nobody has used it for a while.
# Arguments: lock file, data directory, server programs folder, socket folder, idle seconds.
# Every process that wants the cluster touches the lock file under the lock, so a cluster is
# never stopped between a process finding it running and connecting to it.
lock=$1 dir=$2 bin=$3 socket=$4 limit=$5
while sleep 10; do
  [ -f "$dir/postmaster.pid" ] || exit 0
  if flock "$lock" sh -c '
      lock=$1 dir=$2 bin=$3 socket=$4 limit=$5
      age=$(( $(date +%s) - $(stat -c %Y "$lock") ))
      [ "$age" -ge "$limit" ] || exit 1
      busy=$("$bin/psql" -X -q -h "$socket" -U aixin -d postgres -tAc \
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = '"'client backend'"' AND pid <> pg_backend_pid()") || exit 1
      [ "$busy" = 0 ] || exit 1
      "$bin/pg_ctl" -D "$dir" stop -m fast >/dev/null 2>&1' sh "$lock" "$dir" "$bin" "$socket" "$limit"
  then
    exit 0
  fi
done
