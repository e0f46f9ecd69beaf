#!/bin/sh
# Rewrite the generated sections of the docs from the binary:
#   <!-- BEGIN sluice ARGS -->  ...  <!-- END sluice ARGS -->
# is replaced by the output of `sluice ARGS`.  Tests compare these sections with
# the binary and fail when a doc is out of date; run this after changing an
# option table, a plugin or the health registry.
set -eu
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-build/release/sluice}
[ -x "$SLUICE" ] || { echo "gen-docs: $SLUICE not built (make)" >&2; exit 2; }
for f in docs/*.md README.md; do
    grep -q '^<!-- BEGIN sluice ' "$f" || continue
    tmp="$f.tmp.$$"
    awk -v sluice="$SLUICE" '
        /^<!-- BEGIN sluice .* -->$/ {
            print
            args = $0; sub(/^<!-- BEGIN sluice /, "", args); sub(/ -->$/, "", args)
            cmd = sluice " " args
            while ((cmd | getline line) > 0) print line
            if (close(cmd) != 0) { print "gen-docs: " cmd " failed" > "/dev/stderr"; exit 1 }
            skip = 1; next
        }
        /^<!-- END sluice .* -->$/ { skip = 0 }
        !skip { print }
    ' "$f" > "$tmp"
    if cmp -s "$f" "$tmp"; then rm -f "$tmp"; else mv "$tmp" "$f"; echo "gen-docs: $f updated"; fi
done
