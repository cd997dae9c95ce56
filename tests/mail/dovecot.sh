#!/bin/sh
# dovecot.sh: a throwaway Dovecot IMAP server for the e-mail tests.
#
#   tests/mail/dovecot.sh start DIR PORT   start it on 127.0.0.1:PORT (waits until it answers)
#   tests/mail/dovecot.sh stop DIR         stop it
#   tests/mail/dovecot.sh deliver DIR FILE...   drop mails into the maildir (new/)
#
# Everything lives under DIR: the configuration (DIR/dovecot.conf, no system
# config is read or touched), a passwd-file with one user, the maildir
# (DIR/home/USER/Maildir), the runtime sockets and the log
# (DIR/dovecot.log). The users are "service" and "user1".."user9" (a mailbox
# each, so that tests can share one server), all with the password "geheim"
# (plain text over loopback only). deliver puts mails into service's maildir
# (MAILBOX=user3 for another). As root, Dovecot's own unprivileged users
# (dovenull, dovecot; Debian's package creates them) run the login and
# internal processes and the mail belongs to the user dovecot (Dovecot never
# lets root own mail); as anyone else all of it runs as the current user. Needs the Debian package dovecot-imapd.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: $0 start DIR PORT | stop DIR | deliver DIR FILE..." >&2
	exit 2
}
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
USER_NAME=service
USERS="service user1 user2 user3 user4 user5 user6 user7 user8 user9"
PASSWORD=geheim

write_config() {
	port=$1
	uid=$(id -u)
	gid=$(id -g)
	me=$(id -un)
	if [ "$uid" = 0 ]; then # Dovecot never lets root own mail
		login_user=dovenull
		internal_user=dovecot
		uid=$(id -u dovecot)
		gid=$(id -g dovecot)
	else
		login_user=$me
		internal_user=$me
	fi
	mkdir -p "$dir/run" "$dir/state" "$dir/home"
	: >"$dir/passwd"
	for u in $USERS; do
		mkdir -p "$dir/home/$u/Maildir/new" "$dir/home/$u/Maildir/cur" "$dir/home/$u/Maildir/tmp"
		printf '%s:{PLAIN}%s\n' "$u" "$PASSWORD" >>"$dir/passwd"
	done
	chmod 755 "$dir" "$dir/run"
	chown -R "$uid:$gid" "$dir/home"
	cat >"$dir/dovecot.conf" <<EOF
# Written by tests/mail/dovecot.sh; a test instance, not a real server.
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $login_user
default_internal_user = $internal_user
default_internal_group = $(id -gn "$internal_user")
first_valid_uid = $uid
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
protocol imap {
  imap_idle_notify_interval = 2 mins
}
EOF
}

wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		if python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $1), 1); sys.exit(0 if s.recv(64).startswith(b'* OK') else 1)" 2>/dev/null; then
			return 0
		fi
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

case "$cmd" in
start)
	port=${3:?a port}
	[ -x "$DOVECOT" ] || { echo "dovecot.sh: $DOVECOT missing (apt-get install dovecot-imapd)" >&2; exit 1; }
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ] && ! runuser -u dovecot -- test -x "$dir"; then
		echo "dovecot.sh: as root, $dir must be reachable for the user dovecot" >&2
		exit 1
	fi
	write_config "$port"
	"$DOVECOT" -c "$dir/dovecot.conf"
	wait_port "$port" || { echo "dovecot.sh: no answer on port $port" >&2; cat "$dir/dovecot.log" >&2 || true; exit 1; }
	;;
stop)
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/run/master.pid" ]; then
		pid=$(cat "$dir/run/master.pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	;;
deliver)
	shift 2
	new="$dir/home/${MAILBOX:-$USER_NAME}/Maildir/new"
	tmp="$dir/home/${MAILBOX:-$USER_NAME}/Maildir/tmp"
	n=0
	for f in "$@"; do
		n=$((n + 1))
		name="$(date +%s).$$_$n.cluetrain-test"
		cp "$f" "$tmp/$name"
		chown --reference="$new" "$tmp/$name"
		mv "$tmp/$name" "$new/$name"
	done
	;;
*)
	echo "dovecot.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
