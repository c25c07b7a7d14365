#!/bin/sh
# ci-files.sh - the files that put calib into other projects' CI: the
# composite action (action.yml) and the example workflows in docs/ci/ parse
# as YAML and have the structure GitHub and GitLab need, every calib option
# they use exists, and the Debian packaging agrees with configure.ac (the
# version) and with the library (the soname in the package name).
. "${top_srcdir:-$(dirname "$0")/..}/tests/setup.sh"

ACTION=$top_srcdir/action.yml
GH=$top_srcdir/docs/ci/github-calibration.yml
GL=$top_srcdir/docs/ci/gitlab-calibration.yml

# --- every `calib check` option in them is one calib check knows
"$CALIB" check --help >"$T/help"
for f in "$ACTION" "$GH" "$GL"; do
	bad=""
	for o in $(grep -o -- '--[a-z][a-z-]*' "$f" | sort -u); do
		case $o in
		--no-install-recommends | --exclude | --version) continue ;; # apt, tar, calib --version
		esac
		grep -q -- "$o" "$T/help" || bad="$bad $o"
	done
	[ -z "$bad" ]
	ok $? "$(basename "$f"): every option is in calib check --help"
	[ -z "$bad" ] || diag "unknown:$bad"
done

# --- YAML structure, when python3 and its yaml module are there
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$ACTION" "$GH" "$GL" >"$T/py" 2>&1 <<'PY'
import re, sys, yaml

action_path, gh_path, gl_path = sys.argv[1:4]
n = 0
def ok(cond, what):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))

def load(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except Exception as e:
        print("# %s: %s" % (path, e))
        return None

a = load(action_path)
ok(isinstance(a, dict), "action.yml is a YAML mapping")
a = a or {}
ok(all(k in a for k in ("name", "description", "inputs", "runs")),
   "action.yml has name, description, inputs and runs")
runs = a.get("runs") or {}
ok(runs.get("using") == "composite", "action.yml is a composite action")
steps = runs.get("steps") or []
ok(len(steps) > 0 and all(("run" in s) == ("shell" in s) for s in steps)
   and all(("run" in s) != ("uses" in s) for s in steps),
   "every step runs a shell command (with a shell) or uses an action")
inputs = a.get("inputs") or {}
used = set(re.findall(r"inputs\.([A-Za-z_][A-Za-z0-9_-]*)", open(action_path).read()))
ok(used <= set(inputs), "every inputs.X the steps use is declared (%s)" %
   ", ".join(sorted(used - set(inputs))))
ids = {s.get("id") for s in steps if "id" in s}
refs = set(re.findall(r"steps\.([A-Za-z_][A-Za-z0-9_-]*)\.", open(action_path).read()))
ok(refs <= ids, "every steps.ID referenced exists")
ok(all("description" in v for v in inputs.values()), "every input is described")

g = load(gh_path)
ok(isinstance(g, dict), "the GitHub workflow is a YAML mapping")
g = g or {}
# YAML 1.1 reads the key `on` as true
ok(("on" in g or True in g) and "jobs" in g, "it has on: and jobs:")
jobs = g.get("jobs") or {}
ok(len(jobs) > 0 and all("runs-on" in j and j.get("steps") for j in jobs.values()),
   "every job has runs-on and steps")
calls = [s for j in jobs.values() for s in j["steps"]
         if str(s.get("uses", "")).startswith("./")]
ok(len(calls) == 1, "one step uses the vendored action")
for s in calls:
    w = s.get("with") or {}
    ok(set(w) <= set(inputs), "its with: keys are action inputs")
    req = {k for k, v in inputs.items() if v.get("required")}
    ok(req <= set(w), "it gives every required input")

l = load(gl_path)
ok(isinstance(l, dict), "the GitLab CI file is a YAML mapping")
l = l or {}
jobs = {k: v for k, v in l.items() if isinstance(v, dict) and "script" in v}
ok(len(jobs) == 1, "it defines one job with a script")
for j in jobs.values():
    ok(isinstance(j["script"], list) and any("calib check" in str(c) for c in j["script"]),
       "the job runs calib check")
    ok(((j.get("artifacts") or {}).get("reports") or {}).get("junit") == "calib-junit.xml",
       "the JUnit report is a GitLab test report")
    ok((j.get("artifacts") or {}).get("when") == "always",
       "artifacts are kept when the gate fails")
print("1..%d" % n)
PY
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "${line#ok [0-9]* - }" ;;
		"not ok "*) ok 1 "${line#not ok [0-9]* - }" ;;
		"1.."*) ;;
		*) diag "$line" ;;
		esac
	done <"$T/py"
	[ $rc -eq 0 ]
	ok $? "the YAML checks ran"
else
	skip "action.yml and the workflows parse as YAML" "python3 with the yaml module not installed"
fi

# --- Debian packaging against configure.ac and the library
version=$("$CALIB" --version | sed -n 's/^calib \([^ ]*\) .*/\1/p')
deb=$(sed -n '1s/^calib (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
[ -n "$version" ] && [ "$deb" = "$version" ]
ok $? "debian/changelog's version ($deb) is configure.ac's ($version)"
if [ -r "${LIBCALIB:-}" ] && command -v readelf >/dev/null 2>&1; then
	soname=$(readelf -d "$LIBCALIB" | sed -n 's/.*(SONAME).*\[libcalib\.so\.\([0-9]*\)\]/\1/p')
	grep -qx "Package: libcalib$soname" "$top_srcdir/debian/control" &&
		[ -r "$top_srcdir/debian/libcalib$soname.install" ] &&
		grep -q "libcalib$soname (= \${binary:Version})" "$top_srcdir/debian/control"
	ok $? "the shared library package is named after the soname (libcalib$soname)"
else
	skip "library package named after the soname" "no shared library or readelf"
fi
done_testing
