# setup.sh - sourced by every shell test: TAP output helpers, a scratch
# directory removed on exit, and the calib binary under test ($CALIB).
set -u
LC_ALL=C
export LC_ALL

: "${CALIB:?CALIB must point at the calib binary}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
DATA="$top_srcdir/tests/data"
SHARED="$top_srcdir/../shared/data/real"

T=$(mktemp -d "${TMPDIR:-/tmp}/calib-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

tap_n=0
tap_failed=0

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() { # skip DESCRIPTION REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# run ARGS...: runs calib, leaving $T/out, $T/err and $rc.
run() {
	rc=0
	"$CALIB" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

# check_status WANT DESCRIPTION
check_status() {
	[ "$rc" -eq "$1" ]
	s=$?
	ok $s "$2 (exit $1)"
	[ $s -eq 0 ] || { diag "exit status was $rc; stderr:"; diag "$(cat "$T/err")"; }
}

# check_contains FILE TEXT DESCRIPTION: fixed-string match
check_contains() {
	grep -F -- "$2" "$1" >/dev/null
	s=$?
	ok $s "$3"
	[ $s -eq 0 ] || { diag "wanted: $2"; diag "got:"; diag "$(cat "$1")"; }
}

# json_num FILE KEY [LINE]: a numeric value from JSON Lines output
json_num() {
	sed -n "${3:-1}p" "$1" | tr ',{}' '\n\n\n' | sed -n "s/^\"$2\":\(.*\)$/\1/p"
}

# near GOT WANT TOL DESCRIPTION
near() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN {
		if (g == "" || g == "null") exit 1
		d = g - w; if (d < 0) d = -d; exit !(d <= t) }'
	s=$?
	ok $s "$4"
	[ $s -eq 0 ] || diag "got '$1', want $2 (tolerance $3)"
}

# Figures: is a real gnuplot with the cairo terminals here, and is a file
# a valid PNG/SVG/PDF of a given size?
if command -v gnuplot >/dev/null 2>&1 && gnuplot -e 'set terminal pngcairo' </dev/null >/dev/null 2>&1; then
	have_gnuplot=1
else
	have_gnuplot=0
fi

# png_size FILE: "W H" from the IHDR chunk
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
		$5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
is_png() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' ')" = 89504e470d0a1a0a ] &&
	[ "$(od -An -c -j12 -N4 "$1" | tr -d ' ')" = IHDR ]
}
is_svg() { # is_svg FILE W H
	grep -q "<svg" "$1" && grep -q "width=\"$2\" height=\"$3\"" "$1" &&
	grep -q "</svg>" "$1" &&
	{ ! command -v xmllint >/dev/null 2>&1 || xmllint --noout "$1" 2>/dev/null; }
}
is_pdf() { # is_pdf FILE W H
	[ "$(head -c 5 "$1")" = "%PDF-" ] &&
	grep -aq "/MediaBox \[ 0 0 $2 $3 \]" "$1" &&
	tail -c 64 "$1" | grep -aq '%%EOF'
}
