#!/bin/sh
# symbols.sh - libcalib exports calib_ names only.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

if [ ! -r "${LIBCALIB:-}" ] || ! command -v nm >/dev/null 2>&1; then
	echo "1..0 # SKIP no shared library or no nm"
	exit 0
fi
nm -D --defined-only "$LIBCALIB" | awk '$2 ~ /^[TDRB]$/ { print $3 }' >"$T/syms"
[ -s "$T/syms" ]
ok $? "the library exports symbols"
bad=$(grep -v '^calib_' "$T/syms" || true)
[ -z "$bad" ]
ok $? "every exported name starts with calib_"
[ -z "$bad" ] || diag "$bad"
for s in calib_read calib_metrics_compute calib_ece calib_bin_index calib_strerror \
    calib_bin_interval calib_consistency_band calib_reliability_compute \
    calib_fit calib_fit_temperature calib_model_parse calib_preds_recalibrate; do
	grep -qx "$s" "$T/syms"
	ok $? "$s exported"
done
done_testing
