#!/bin/sh
# help.sh - each command's --help lists options the command takes and that
# do something there, states defaults, and agrees with the manual page and
# the README.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

MAN=${CALIB_MAN:-}
CMDS="metrics bins diagram hist compare check fit apply"
for c in $CMDS; do
	"$CALIB" $c --help >"$T/$c.help" 2>&1
	opts=$(grep -o -- '--[a-z][a-z-]*' "$T/$c.help" | sort -u)
	bad=""
	for o in $opts; do
		"$CALIB" $c $o >"$T/o" 2>&1
		if grep -q 'unrecognized option' "$T/o"; then
			bad="$bad $o"
		fi
	done
	[ -z "$bad" ]
	ok $? "$c: every option its --help lists is an option of $c"
	[ -z "$bad" ] || diag "not taken:$bad"
	printf '%s\n' $opts >>"$T/all"
done
sort -u "$T/all" >"$T/all.sorted"

# hist draws no intervals or bands: they are listed as reaching its table
# only; fit neither rescales nor recalibrates what it fits on.
awk '/only in the --table file/ { t = 1 } t && /--ci wilson/ { f = 1 } END { exit !f }' "$T/hist.help"
ok $? "hist --help: --ci, --band, --resamples only for the --table file"
! grep -q -- '^  --temperature\|^  --calibrate' "$T/fit.help"
ok $? "fit --help: no --temperature or --calibrate (fit refuses them)"
for c in diagram hist compare; do
	grep -A2 -- '--size WxH' "$T/$c.help" | grep -q 'default'
	ok $? "$c --help: the default --size"
done

# The manual page and the README name every option of every --help.
if [ -n "$MAN" ] && [ -r "$MAN" ] && command -v man >/dev/null 2>&1; then
	MANWIDTH=200 man -l "$MAN" 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/man"
	missing=$(comm -23 "$T/all.sorted" "$T/man" | tr '\n' ' ')
	[ -z "$missing" ]
	ok $? "man calib names every option of every --help"
	[ -z "$missing" ] || diag "missing: $missing"
else
	skip "man calib names every option" "no man or no generated page"
fi
grep -o -- '--[a-z][a-z-]*' "$top_srcdir/README.md" | sort -u >"$T/readme"
grep -q -- '-f ' "$top_srcdir/README.md" && echo --format >>"$T/readme"
grep -q -- '-o ' "$top_srcdir/README.md" && echo --output >>"$T/readme"
sort -u -o "$T/readme" "$T/readme"
missing=$(comm -23 "$T/all.sorted" "$T/readme" | tr '\n' ' ')
[ -z "$missing" ]
ok $? "the README names every option of every --help"
[ -z "$missing" ] || diag "missing: $missing"
# the man page's bar delimiter is in --help and the README too
grep -q "'|'" "$T/metrics.help" && grep -q 'bar `|`' "$top_srcdir/README.md"
ok $? "--help and README mention the bar delimiter the man page lists"
done_testing
