#!/bin/sh
# readme-example.sh README NAME - print the ```c block that follows the line
# "<!-- example: NAME -->" in README, so the tests compile the very code
# the README shows.
[ $# -eq 2 ] || { echo "usage: $0 README NAME" >&2; exit 2; }
awk -v want="<!-- example: $2 -->" '
	$0 == want { found = 1; next }
	found == 1 && /^```c$/ { found = 2; next }
	found == 2 && /^```$/ { exit }
	found == 2 { print }
' "$1"
