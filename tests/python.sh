#!/bin/sh
# python.sh - the README's "From Python" snippets, run as written (with
# stand-ins for the models from tests/python-prelude.py) followed by the
# calib command shown after each; the metrics must equal those of a plain
# CSV of the same predictions.  Skipped without python3 and numpy.
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

py=
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 &&
	    "$cand" -c 'import numpy' >/dev/null 2>&1; then
		py=$cand
		break
	fi
done
if [ -z "$py" ]; then
	echo "1..0 # SKIP python3 with numpy (Debian: python3-numpy) not found"
	exit 0
fi

# Each snippet: '<!-- snippet: NAME -->', a python block, a sh block.
awk -v dir="$T" '
/^<!-- snippet: [a-z]+ -->$/ { name = $3; state = 1; next }
state == 1 && /^```python$/ { state = 2; next }
state == 2 && /^```$/ { state = 3; next }
state == 2 { print > (dir "/" name ".py"); next }
state == 3 && /^```sh$/ { state = 4; next }
state == 4 && /^```$/ { state = 0; next }
state == 4 { print > (dir "/" name ".cmd"); next }
' "$top_srcdir/README.md"

for name in sklearn torch keras csv; do
	if [ ! -s "$T/$name.py" ] || [ ! -s "$T/$name.cmd" ]; then
		ok 1 "README snippet '$name' found"
		continue
	fi
	ok 0 "README snippet '$name' found"
	mkdir "$T/run-$name"
	(cd "$T/run-$name" && "$py" -c '
import sys
sys.path.insert(0, sys.argv[1])
import importlib.util
spec = importlib.util.spec_from_file_location("prelude", sys.argv[1] + "/python-prelude.py")
prelude = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prelude)
g = prelude.setup(sys.argv[2])
exec(compile(open(sys.argv[3]).read(), sys.argv[3], "exec"), g)
' "$top_srcdir/tests" "$name" "$T/$name.py") 2>"$T/py.err"
	s=$?
	ok $s "snippet '$name' runs"
	[ $s -eq 0 ] || diag "$(cat "$T/py.err")"
	cmd=$(sed 's/^calib /"$CALIB" /' "$T/$name.cmd")
	(cd "$T/run-$name" && eval "$cmd -f json" >"$T/got.json" 2>"$T/err")
	s=$?
	ok $s "snippet '$name': $(cat "$T/$name.cmd")"
	[ $s -eq 0 ] || diag "$(cat "$T/err")"
	(cd "$T/run-$name" && "$CALIB" metrics -f json ref.csv >"$T/want.json")
	strip='s/^{"file":"[^"]*",//; s/,"format":"[a-z]*"}$/}/'
	[ "$(sed "$strip" "$T/got.json")" = "$(sed "$strip" "$T/want.json")" ]
	ok $? "snippet '$name': metrics equal those of the same CSV"
done

# Files written by this machine's numpy: random scores in every dtype,
# byte order, memory order and format version, each against the CSV of
# the same values (the float16 values, widened exactly, for float16).
mkdir "$T/np"
(cd "$T/np" && "$py" - <<'PY') 2>"$T/py.err"
import numpy as np
rng = np.random.default_rng(11)
n, k = 2000, 5
y = rng.integers(0, k, size=n)
for t in ["f2", "f4", "f8"]:
    z = (rng.normal(size=(n, k)) * 3).astype("<" + t)
    with open("ref-%s.csv" % t, "w") as f:
        f.write("label," + ",".join("logit_%d" % j for j in range(k)) + "\n")
        for yi, row in zip(y, z):
            f.write("%d,%s\n" % (yi, ",".join(repr(float(v)) for v in row)))
    for order in ["<", ">"]:
        for fortran in [False, True]:
            a = z.astype(order + t)
            a = np.asfortranarray(a) if fortran else np.ascontiguousarray(a)
            for ver in [(1, 0), (2, 0), (3, 0)]:
                name = "s-%s-%s-%s-v%d.npy" % (t, "be" if order == ">" else "le",
                                              "F" if fortran else "C", ver[0])
                with open(name, "wb") as f:
                    np.lib.format.write_array(f, a, version=ver)
    np.savez("z-%s.npz" % t, logits=z, labels=y)
    np.savez_compressed("zc-%s.npz" % t, logits=z, labels=y.astype(">i2"))
for t in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8"]:
    for order in ["<", ">"]:
        np.save("y-%s-%s.npy" % (t, order == "<" and "le" or "be"), y.astype(order + t))
PY
s=$?
ok $s "numpy wrote the arrays"
[ $s -eq 0 ] || diag "$(cat "$T/py.err")"
fails=0
count=0
for t in f2 f4 f8; do
	"$CALIB" metrics -f json "$T/np/ref-$t.csv" | sed "$strip" >"$T/want.json"
	for f in "$T"/np/s-$t-*.npy "$T"/np/z-$t.npz "$T"/np/zc-$t.npz; do
		case $f in
		*.npy) set -- --logits --labels "$T/np/y-i8-le.npy" "$f" ;;
		*) set -- "$f" ;;
		esac
		count=$((count + 1))
		if [ "$("$CALIB" metrics -f json "$@" | sed "$strip")" != \
		    "$(cat "$T/want.json")" ]; then
			diag "differs: $f"
			fails=$((fails + 1))
		fi
	done
done
[ "$fails" -eq 0 ] && [ "$count" -eq 42 ]
ok $? "numpy's files, every float dtype x byte order x C/Fortran x version 1-3 and .npz stored/deflated ($count): metrics equal the CSV's"
fails=0
"$CALIB" metrics -f json "$T/np/ref-f4.csv" | sed "$strip" >"$T/want.json"
for f in "$T"/np/y-*.npy; do
	if [ "$("$CALIB" metrics -f json --logits --labels "$f" \
	    "$T/np/s-f4-le-C-v1.npy" | sed "$strip")" != "$(cat "$T/want.json")" ]; then
		diag "differs: $f"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
ok $? "numpy's labels, every integer dtype and integral floats, both byte orders"

done_testing
