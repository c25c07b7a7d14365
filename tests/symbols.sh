#!/bin/sh
# symbols.sh - libcalib exports calib_ names only, exactly the ones listed in
# the committed libcalib.sym, and tools/check-symbols.sh catches a removed
# and an unlisted name.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

if [ ! -r "${LIBCALIB:-}" ] || ! command -v nm >/dev/null 2>&1; then
	echo "1..0 # SKIP no shared library or no nm"
	exit 0
fi
LIST=$top_srcdir/libcalib.sym
CHECK=$top_srcdir/tools/check-symbols.sh
nm -D --defined-only "$LIBCALIB" | awk '$2 ~ /^[TDRB]$/ { print $3 }' >"$T/syms"
[ -s "$T/syms" ]
ok $? "the library exports symbols"
bad=$(grep -v '^calib_' "$T/syms" || true)
[ -z "$bad" ]
ok $? "every exported name starts with calib_"
[ -z "$bad" ] || diag "$bad"

sh "$CHECK" "$LIBCALIB" "$LIST" >"$T/out" 2>&1
ok $? "the exported names are exactly libcalib.sym"
[ -s "$T/out" ] && diag "$(cat "$T/out")"

# A name the library no longer exports: the list still has it.
{ cat "$LIST"; echo calib_removed_by_accident; } >"$T/more.sym"
sh "$CHECK" "$LIBCALIB" "$T/more.sym" >"$T/out" 2>&1
[ $? -eq 1 ]
ok $? "a symbol removed from the library fails the check"
check_contains "$T/out" "'calib_removed_by_accident' is in $T/more.sym but no longer exported" \
	"the removed symbol is named"

# A name exported but not listed (here: calib_read dropped from the list).
grep -vx calib_read "$LIST" >"$T/less.sym"
sh "$CHECK" "$LIBCALIB" "$T/less.sym" >"$T/out" 2>&1
[ $? -eq 1 ]
ok $? "an exported symbol missing from the list fails the check"
check_contains "$T/out" "'calib_read' is exported but not listed" \
	"the unlisted symbol is named"
done_testing
