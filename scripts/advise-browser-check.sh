#!/usr/bin/env bash
# Opens the HTML report of `strata advise` in a real headless browser (Chromium from Debian's
# packages, installed when missing: a large download, so not part of CI), takes a screenshot and
# checks that the schema diagram rendered: the SVG is there, has a size, and draws every table.
#
#   scripts/advise-browser-check.sh [OUT.png]
#
# Needs STRATA_TEST_PG_ADMIN_URL (an admin URL of a PostgreSQL server it may create a database on).
# The screenshot goes to OUT.png (default docs/images/advise-report.png).
set -euo pipefail
cd "$(dirname "$0")/.."
out_png="${1:-docs/images/advise-report.png}"
admin="${STRATA_TEST_PG_ADMIN_URL:?set STRATA_TEST_PG_ADMIN_URL, e.g. postgres://strata_test:strata_test_pw@127.0.0.1:5432/postgres}"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "installing chromium from Debian's packages..." >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  browser="$(command -v chromium)"
fi

cargo build -q -p strata-cli
strata="$PWD/target/debug/strata"
work="$(mktemp -d)"
db="strata_advise_browser_$$"
base="${admin%/*}"
cleanup() {
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
psql "$base/$db" -q -f crates/strata-cli/tests/advise/planted.sql >/dev/null

(cd "$work" && "$strata" advise --url "$base/$db" --format html > report.html) || [ $? -eq 1 ]

# The DOM after rendering: the browser has parsed the SVG, laid out the page.
"$browser" --headless --no-sandbox --disable-gpu --dump-dom "file://$work/report.html" > "$work/dom.html" 2>/dev/null
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1800 \
  --screenshot="$work/shot.png" "file://$work/report.html" >/dev/null 2>&1

fail() { echo "advise-browser-check: $*" >&2; exit 1; }
grep -q '<svg' "$work/dom.html" || fail "no <svg> in the rendered page"
for table in public.customers public.orders public.line_items public.payments; do
  grep -q "$table" "$work/dom.html" || fail "the diagram does not show $table"
done
[ -s "$work/shot.png" ] || fail "no screenshot"
size=$(stat -c %s "$work/shot.png")
[ "$size" -gt 20000 ] || fail "the screenshot is nearly empty ($size bytes)"
# The diagram was painted: the screenshot has pixels in the fill colours of tables with findings
# (#f4b4b4 an error, #fbe3a7 a warning), which only the rendered SVG draws.
python3 - "$work/shot.png" <<'PY' || fail "the screenshot shows no diagram (no table fill colours)"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, chunks, width, height = 8, b"", 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        channels = {2: 3, 6: 4}[colour]
    elif kind == b"IDAT":
        chunks += body
    pos += 12 + length
raw, stride, prev, rows = zlib.decompress(chunks), width * channels, bytearray(width * channels), []
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b, c = prev[i], prev[i - channels] if i >= channels else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
want = {(0xf4, 0xb4, 0xb4): 0, (0xfb, 0xe3, 0xa7): 0}
for line in rows:
    for x in range(0, len(line), channels):
        px = tuple(line[x:x + 3])
        if px in want: want[px] += 1
print("fill pixels:", want)
sys.exit(0 if all(n > 100 for n in want.values()) else 1)
PY
mkdir -p "$(dirname "$out_png")"
cp "$work/shot.png" "$out_png"
echo "advise-browser-check: ok ($out_png, $size bytes)"
