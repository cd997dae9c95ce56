#!/bin/sh
# run.sh: what `make run` does after building: initialise ./data on first
# start (with the demo workspace unless DEMO=0) and serve.
#   DATA=dir     the installation folder (default ./data)
#   LISTEN=h:p   the address (default 127.0.0.1:8080)
#   DEMO=0       no demo workspace on first start
set -eu
bin=${1:-build/cluetrain}
data=${DATA:-./data}
listen=${LISTEN:-127.0.0.1:8080}
if [ ! -f "$data/cluetrain.db" ]; then
	if [ "${DEMO:-1}" = 0 ]; then
		"$bin" init --data "$data"
	else
		"$bin" init --data "$data" --demo
	fi
fi
echo "cluetrain serves on http://$listen (Ctrl-C stops it)"
exec "$bin" serve --data "$data" --listen "$listen"
