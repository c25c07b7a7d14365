#!/bin/sh
# installcheck.sh - what `make installcheck` runs against an installed calib
# (make install first; `make distcheck` and .ci/run do it in a temporary
# prefix).  The installed program runs on a data file and finds its
# library; the README's two library examples build through pkg-config
# exactly as the README shows, shared and static, and run; `man calib`
# and the installed gnuplot scripts resolve.
#
# Environment (set by installcheck-local in Makefile.am): bindir, libdir,
# mandir, pkgdatadir, top_srcdir, CC.
: "${bindir:?}" "${libdir:?}" "${mandir:?}" "${pkgdatadir:?}" "${CC:=cc}"
CALIB=$bindir/calib
export CALIB
. "${top_srcdir:?}/tests/setup.sh"
M=$DATA/multiclass.csv

# --- the program
[ -x "$CALIB" ]
ok $? "calib is installed in $bindir"
run --version
check_status 0 "the installed calib runs"
check_contains "$T/out" "(libcalib $(sed -n 's/^Version: //p' "$libdir/pkgconfig/libcalib.pc"))" \
	"... with the installed library's version"
# It must find the library it was installed with (RUNPATH or ldconfig),
# not one in the build tree.
if command -v ldd >/dev/null 2>&1; then
	lib=$(ldd "$CALIB" | awk '$1 ~ /^libcalib\.so/ { print $3 }')
	case $lib in
	"$libdir"/* | /usr/lib/* | /lib/*) r=0 ;;
	*) r=1 ;;
	esac
	ok $r "calib loads libcalib from $libdir (ldd: ${lib:-not found})"
else
	skip "calib loads the installed libcalib" "no ldd"
fi
run metrics --bins 5 "$M"
check_status 0 "the installed calib reads a data file"
grep -Eq '^ece +0\.22$' "$T/out"
ok $? "... and computes its ECE (0.22 with 5 bins, see t-metrics.c)"

# --- the library through pkg-config, as the README says
PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
if ! command -v pkg-config >/dev/null 2>&1; then
	skip "the README examples build with pkg-config" "no pkg-config"
else
	pkg-config --exists libcalib
	ok $? "pkg-config finds libcalib"
	for ex in example stream; do
		sh "$top_srcdir/tests/readme-example.sh" "$top_srcdir/README.md" \
			$ex.c >"$T/$ex.c"
		[ -s "$T/$ex.c" ]
		ok $? "README.md holds $ex.c"
		# The command the README shows, word for word but the compiler.
		(cd "$T" && $CC -o $ex $ex.c $(pkg-config --cflags --libs libcalib)) \
			>"$T/cc.out" 2>&1
		ok $? "$ex.c links with: cc -o $ex $ex.c \$(pkg-config --cflags --libs libcalib)"
		[ -s "$T/cc.out" ] && diag "$(cat "$T/cc.out")"
		LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
			"$T/$ex" "$M" >"$T/$ex.out" 2>&1
		ok $? "... and runs"
		cp "$T/$ex.out" "$T/$ex.shared"
	done
	check_contains "$T/example.shared" "5 rows, accuracy 0.6000, ECE 0.4400" \
		"example.c prints the file's metrics (ECE 0.44 with 15 bins, as calib metrics)"
	check_contains "$T/stream.shared" "after batch 2: 4 rows, accuracy 0.5000, ECE 0.5000" \
		"stream.c prints the metrics worked out by hand"

	# Static: is there a static C library at all?
	printf 'int main(void) { return 0; }\n' >"$T/hello.c"
	if ! (cd "$T" && $CC -static -o hello hello.c) >/dev/null 2>&1; then
		skip "static linking" "$CC -static cannot link a C program here"
	else
		for ex in example stream; do
			(cd "$T" && $CC -static -o $ex-static $ex.c \
				$(pkg-config --static --cflags --libs libcalib)) \
				>"$T/cc.out" 2>&1
			ok $? "$ex.c links with: cc -static -o $ex $ex.c \$(pkg-config --static --cflags --libs libcalib)"
			[ -s "$T/cc.out" ] && diag "$(head -5 "$T/cc.out")"
			if command -v ldd >/dev/null 2>&1; then
				! ldd "$T/$ex-static" 2>/dev/null | grep -q libcalib
				ok $? "... without a shared libcalib"
			fi
			env -u LD_LIBRARY_PATH "$T/$ex-static" "$M" >"$T/$ex.out" 2>&1
			ok $? "... runs"
			cmp -s "$T/$ex.out" "$T/$ex.shared"
			ok $? "... and prints what the shared build prints"
		done
	fi
fi

# --- the manual page
if command -v man >/dev/null 2>&1; then
	page=$(man -M "$mandir" -w calib 2>/dev/null)
	[ "$page" = "$mandir/man1/calib.1" ] || [ "$page" = "$mandir/man1/calib.1.gz" ]
	ok $? "man calib finds the installed page (${page:-nothing})"
	MANPAGER=cat MANWIDTH=80 man -M "$mandir" calib 2>/dev/null >"$T/man.txt"
	check_contains "$T/man.txt" "calib check" "... and renders it"
else
	[ -r "$mandir/man1/calib.1" ]
	ok $? "the manual page is installed (no man to render it)"
fi

# --- the gnuplot scripts: a figure drawn with a gnuplot that cannot run
# leaves its script behind, naming the script it was built from.
for gp in reliability histogram compare-reliability compare-histogram; do
	[ -r "$pkgdatadir/$gp.gp" ]
	ok $? "$gp.gp is installed in $pkgdatadir"
done
(unset CALIB_PLOTS_DIR; cd "$T" &&
	"$CALIB" diagram --gnuplot "$T/no-gnuplot" -o "$T/d.png" "$M") \
	>"$T/out" 2>"$T/err"
rc=$?
check_status 3 "no gnuplot: the figure is not drawn"
check_contains "$T/d.gp" "# ---- $pkgdatadir/reliability.gp ----" \
	"the installed calib uses the installed script"
if command -v gnuplot >/dev/null 2>&1; then
	(unset CALIB_PLOTS_DIR; cd "$T" && "$CALIB" hist -o "$T/h.png" "$M") \
		>"$T/out" 2>"$T/err"
	rc=$?
	check_status 0 "with gnuplot the installed calib draws a histogram"
	[ -s "$T/h.png" ]
	ok $? "... into h.png"
else
	skip "the installed calib draws a histogram" "gnuplot not installed"
fi
done_testing
