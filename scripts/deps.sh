#!/bin/sh
# deps.sh: install the Debian packages cluetrain needs that are missing.
#
#   scripts/deps.sh          what building and running needs
#   scripts/deps.sh test     also what the test suites need
#   scripts/deps.sh bench    also what the benchmarks need
#
# Works as root or, through sudo, as a normal user. Installs nothing when
# everything is present, so it is cheap to call before every build.
set -eu

build_pkgs="make gcc pkg-config libc6-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev
libsodium-dev libcurl4-openssl-dev libpq-dev libstemmer-dev libutf8proc-dev gettext libcrack2-dev
cracklib-runtime liboath-dev libgmime-3.0-dev locales"
test_pkgs="clang libclang-rt-14-dev llvm libcmocka-dev clang-format cppcheck python3
python3-pytest curl sqlite3 procps postfix oathtool postgresql"
bench_pkgs="wrk nginx-light curl python3 sqlite3 procps postgresql"

pkgs=$build_pkgs
for extra in "$@"; do
	case "$extra" in
	test) pkgs="$pkgs $test_pkgs" ;;
	bench) pkgs="$pkgs $bench_pkgs" ;;
	*) echo "deps.sh: unknown set '$extra' (test, bench)" >&2; exit 2 ;;
	esac
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || sudo="missing"
	[ "$sudo" = missing ] || sudo="sudo"
fi

# The languages the program speaks need their locales for per-user text.
ensure_locales() {
	for loc in de_DE.UTF-8 en_US.UTF-8; do
		norm=$(echo "$loc" | sed 's/UTF-8/utf8/')
		locale -a 2>/dev/null | grep -qx "$norm" && continue
		echo "Generating locale $loc"
		$sudo sed -i "s/^# *$loc UTF-8/$loc UTF-8/" /etc/locale.gen
		grep -q "^$loc UTF-8" /etc/locale.gen || echo "$loc UTF-8" | $sudo tee -a /etc/locale.gen >/dev/null
		$sudo locale-gen >/dev/null
	done
}

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "Installing missing Debian packages:$missing"
	[ "$sudo" = missing ] && { echo "deps.sh: run as root or install sudo" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	# The tests use Postfix's smtp-sink only: no mail server is set up.
	echo "postfix postfix/main_mailer_type select No configuration" |
		$sudo debconf-set-selections 2>/dev/null || true
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
fi
ensure_locales
