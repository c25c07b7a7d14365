#!/bin/sh
# check-symbols.sh LIBRARY LIST - the functions and data a shared library
# exports must be exactly the names in LIST (one per line, sorted, '#'
# comments).  Prints each difference and exits 1 when there is one, so an
# accidental change to libcalib's ABI fails the tests; a deliberate one
# edits libcalib.sym in the same commit (and CALIB_LT_VERSION at release).
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 LIBRARY LIST" >&2
	exit 2
fi
lib=$1
list=$2
tmp=${TMPDIR:-/tmp}/check-symbols.$$
trap 'rm -f "$tmp.lib" "$tmp.list"' EXIT
nm -D --defined-only "$lib" >"$tmp.nm" || { rm -f "$tmp.nm"; exit 2; }
awk '$2 ~ /^[TDRBVW]$/ { print $3 }' "$tmp.nm" | LC_ALL=C sort -u >"$tmp.lib"
rm -f "$tmp.nm"
sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$list" | LC_ALL=C sort -u >"$tmp.list"
status=0
for s in $(LC_ALL=C comm -13 "$tmp.lib" "$tmp.list"); do
	echo "$lib: '$s' is in $list but no longer exported (removed from the ABI)"
	status=1
done
for s in $(LC_ALL=C comm -23 "$tmp.lib" "$tmp.list"); do
	echo "$lib: '$s' is exported but not listed in $list (add it deliberately)"
	status=1
done
exit $status
