#!/bin/sh
# lightstreamd(8) parses without a single groff warning, and names every
# option and config key that docs/lightstreamd.md documents (the man page is
# written by hand: this is what keeps it in step).
#   test_manpage.sh SOURCE_DIR
set -eu
src=$1
page="$src/docs/lightstreamd.8"
md="$src/docs/lightstreamd.md"
warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1) || {
    echo "groff failed on lightstreamd.8: $warnings"; exit 1; }
[ -z "$warnings" ] || { echo "groff warnings in lightstreamd.8:"; echo "$warnings"; exit 1; }
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
echo "$text" | grep -q '^NAME' || { echo "man -l shows no NAME section"; exit 1; }
# Long options from the synopsis and the table, config keys from the table's second column.
opts=$(grep -o -- '--[a-z][a-z-]*' "$md" | sort -u)
keys=$(sed -n 's/^|[^|]*| `\([a-z_]*\)` |.*/\1/p' "$md" | sort -u)
[ -n "$opts" ] && [ -n "$keys" ] || { echo "no options or keys found in lightstreamd.md"; exit 1; }
missing=""
for w in $opts $keys; do
    echo "$text" | grep -q -- "$w" || missing="$missing $w"
done
[ -z "$missing" ] || { echo "in lightstreamd.md but not in lightstreamd.8:$missing"; exit 1; }
echo "lightstreamd.8: no groff warning; $(echo $opts | wc -w) options and $(echo $keys | wc -w) config keys documented"
