#!/bin/sh
# cluster.sh: a throwaway PostgreSQL cluster for the tests, on a loopback port.
#
#   tests/pg/cluster.sh start DIR PORT   initdb (when DIR is new) and start;
#                                        prints the URL of the server
#   tests/pg/cluster.sh stop DIR         stop it (DIR stays; remove it after)
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# user "postgres" (created by Debian's package). It listens on 127.0.0.1 only,
# trusts local connections (a test machine; nothing else can reach it) and
# trades durability for speed (fsync off): the tests measure behaviour, not
# crash safety of the test cluster. The superuser is "postgres".
set -eu

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "cluster.sh: PostgreSQL is not installed (scripts/deps.sh test)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: cluster.sh start DIR PORT | stop DIR" >&2; exit 2; }

case "$cmd" in
start)
	port=${3:?port}
	if [ ! -f "$dir/PG_VERSION" ]; then
		mkdir -p "$dir"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
		chmod 700 "$dir"
		as_owner "$bindir/initdb" -D "$dir" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 >"$dir.initdb.log" 2>&1 ||
			{ cat "$dir.initdb.log" >&2; exit 1; }
	fi
	as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" \
		start >/dev/null
	echo "postgres://postgres@127.0.0.1:$port/postgres"
	;;
stop)
	[ -f "$dir/postmaster.pid" ] || exit 0
	as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
	;;
*)
	echo "usage: cluster.sh start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
