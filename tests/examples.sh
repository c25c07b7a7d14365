#!/bin/sh
# examples.sh - the README's library examples, taken from README.md,
# compiled against this build tree and run (make installcheck does the same
# against the installed library, with the README's pkg-config commands).
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

if [ -z "${EXAMPLE_CFLAGS:-}" ] || ! command -v "${CC:-cc}" >/dev/null 2>&1; then
	echo "1..0 # SKIP no C compiler or not run by make check"
	exit 0
fi
M=$DATA/multiclass.csv
for ex in example stream; do
	sh "$top_srcdir/tests/readme-example.sh" "$top_srcdir/README.md" $ex.c >"$T/$ex.c"
	[ -s "$T/$ex.c" ]
	ok $? "README.md holds $ex.c"
	$CC -std=c11 -Wall -Wextra -Werror $EXAMPLE_CFLAGS -o "$T/$ex" "$T/$ex.c" \
		$EXAMPLE_LIBS >"$T/cc.out" 2>&1
	ok $? "$ex.c compiles without a warning"
	[ -s "$T/cc.out" ] && diag "$(cat "$T/cc.out")"
done
"$T/example" "$M" >"$T/out" 2>&1
ok $? "example.c runs"
check_contains "$T/out" "5 rows, accuracy 0.6000, ECE 0.4400" \
	"example.c prints what calib metrics prints (accuracy 0.6, ECE 0.44)"
"$T/example" "$T/missing.csv" >"$T/out" 2>&1
[ $? -eq 2 ]
ok $? "example.c reports a missing file with status 2"
"$T/stream" >"$T/out" 2>&1
ok $? "stream.c runs"
printf 'after batch 1: 2 rows, accuracy 1.0000, ECE 0.2500\nafter batch 2: 4 rows, accuracy 0.5000, ECE 0.5000\n' >"$T/want"
cmp -s "$T/out" "$T/want"
ok $? "stream.c prints what the README says (worked out by hand there)"
awk '/^It prints$/ { f = 1; next } f == 1 && /^```$/ { f = 2; next } f == 2 && /^```$/ { exit } f == 2' \
	"$top_srcdir/README.md" >"$T/readme-out"
cmp -s "$T/readme-out" "$T/want"
ok $? "the README shows that output"
done_testing
