#!/usr/bin/env bash
# Installs what liblightstream needs on Debian 12, and only what is missing.
#
#   tests/harness/deps.sh [--build-only | --demo | --tests]
#
#   --build-only  what daemon/run.sh needs to build and run lightstreamd: gcc, meson/ninja,
#                 pkg-config and the -dev libraries (FFmpeg 5.1, libevent, jansson, gSOAP), and
#                 mpegts.js and hls.js, which lightstreamd's page serves: npm tarballs, pinned and checked
#                 by daemon/web/package-lock.json, unpacked into daemon/web/node_modules without
#                 Node.js or npm (Debian's npm alone is some 380 packages); nothing for the tests
#                 (no clang, no test servers, no npm packages of the tests)
#   --demo        that plus what `daemon/run.sh --demo` needs for its camera: ffmpeg (one clip),
#                 gst-rtsp-server via python3-gi with the good/bad plugins, curl
#   --tests       (default) all of that plus clang + libclang-rt (fuzzing) and the integration-test
#                 servers and tools: ffmpeg, gst-rtsp-server via python3-gi, nginx +
#                 libnginx-mod-rtmp, node-media-server 4.x and playwright-core (npm ci into
#                 tests/harness/node_modules), @redocly/cli (npm ci into
#                 tests/daemon/redocly/node_modules: the OpenAPI lint), hls.js (npm ci into
#                 tests/daemon/hlsjs/node_modules: recorded ranges in Chromium), Debian's chromium (the
#                 browser test), wrk (the API benchmark), doxygen (the public-header docs test),
#                 groff-base + man-db (the man page test), etcd-server + etcd-client (the fleet
#                 mode tests' etcd, started by the tests on loopback), iproute2, util-linux, procps,
#                 curl
#
# Idempotent: checks with dpkg-query first; runs `apt-get update` once, and only when something
# is missing. Runs as root, or through sudo. Installing nginx must not leave the distribution's
# default server listening on port 80 of every address: a temporary /usr/sbin/policy-rc.d (exit
# 101) keeps its postinst from starting it, and if we installed nginx under systemd the unit is
# disabled and stopped as well.
set -euo pipefail

mode=tests
case "${1:-}" in
    "" | --tests) mode=tests ;;
    --build-only) mode=build ;;
    --demo) mode=demo ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "deps.sh: unknown option '$1' (use --build-only, --demo or --tests)" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "deps.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ -r /etc/debian_version ] || die "this script is for Debian 12 (no /etc/debian_version)"
command -v dpkg-query >/dev/null || die "dpkg-query not found: not a Debian system?"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null; then
    SUDO=(sudo)
else
    die "run as root, or install sudo"
fi

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev python3 ca-certificates
            libavformat-dev libavcodec-dev libavutil-dev
            libevent-dev libjansson-dev gsoap libgsoap-dev)
# The demo camera (tests/harness/camera.py serving one clip made by ffmpeg).
demo_pkgs=(ffmpeg python3 python3-gi
           gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-rtsp-server-1.0
           gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
           curl)
test_pkgs=(clang libclang-rt-14-dev gstreamer1.0-plugins-ugly
           chromium wrk
           doxygen groff-base man-db
           etcd-server etcd-client
           iproute2 util-linux procps)

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

want=("${build_pkgs[@]}")
[ "$mode" = build ] || want+=("${demo_pkgs[@]}")
[ "$mode" = tests ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done

new_nginx=0
new_etcd=0
if [ "$mode" = tests ]; then
    # nginx: any Debian flavour (nginx, nginx-light, ...) will do, with the RTMP module.
    if [ ! -x /usr/sbin/nginx ]; then missing+=(nginx); new_nginx=1; fi
    installed etcd-server || new_etcd=1
    [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
fi
# Node.js (the tests' npm packages): keep the machine's own (e.g. a NodeSource build); Debian's
# only when absent.
if [ "$mode" = tests ] && ! command -v node >/dev/null; then
    missing+=(nodejs npm)
elif [ "$mode" = tests ] && ! command -v npm >/dev/null; then
    missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# temporary, from liblightstream tests/harness/deps.sh\nexit 101\n' |
            "${SUDO[@]}" tee "$policy" >/dev/null
        "${SUDO[@]}" chmod 755 "$policy"
        made_policy=1
        trap '"${SUDO[@]}" rm -f "$policy"' EXIT
    fi
    "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
    if [ "$made_policy" = 1 ]; then
        "${SUDO[@]}" rm -f "$policy"
        trap - EXIT
    fi
    if [ "$new_nginx" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        say "disabling the distribution's nginx service (the tests run their own instances)"
        "${SUDO[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
    # Debian's etcd-server enables a member on localhost:2379; the tests start their own.
    if [ "$new_etcd" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        say "disabling the distribution's etcd service (the tests run their own members)"
        "${SUDO[@]}" systemctl disable --now etcd >/dev/null 2>&1 || true
    fi
    for p in "${want[@]}"; do installed "$p" || die "$p is still not installed"; done
else
    say "all $mode packages are already installed"
fi

# npm ci into DIR/node_modules, only when DIR/package-lock.json changed since the last install.
# $1: the directory, $2: a package whose package.json proves the install, $3: what it is (for logs)
npm_ci() {
    local dir="$1" probe="$2" what="$3"
    local stamp="$dir/node_modules/.lsharness-lock-sha256" sum
    sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$dir/node_modules/$probe/package.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
        say "$what already installed"
    else
        say "installing $what (npm ci in $dir)"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $dir"
        echo "$sum" >"$stamp"
    fi
}

# The page's players without npm: the registry's tarball of each version package-lock.json pins,
# checked against its integrity hash; only package.json, the licence and the files the page loads
# are unpacked: mpegts.js's dist/ (its two npm dependencies are inside its bundle) and hls.js's
# light build and its map (recorded ranges in browsers without native HLS; 2.2 MB of its 8 MB
# tarball).
# Leaves npm_ci's stamp, so a later --tests run does not install them again.
fetch_web() {
    local dir="$1" stamp="$1/node_modules/.lsharness-lock-sha256" sum
    sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$dir/node_modules/mpegts.js/package.json" ] && [ -f "$dir/node_modules/hls.js/package.json" ] &&
       [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
        say "mpegts.js and hls.js already installed"
        return
    fi
    say "fetching mpegts.js and hls.js into $dir/node_modules"
    python3 - "$dir" <<'PY' || die "fetching the page's players failed"
import base64, hashlib, io, json, os, sys, tarfile, urllib.request
d = sys.argv[1]
registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org/").rstrip("/")
WANTED = {"mpegts.js": lambda n: n.startswith("dist/"),
          "hls.js": lambda n: n.startswith("dist/hls.light.min.js")}
for name, wanted in WANTED.items():
    p = json.load(open(os.path.join(d, "package-lock.json")))["packages"]["node_modules/" + name]
    url = "%s/%s/-/%s-%s.tgz" % (registry, name, name, p["version"])
    data = urllib.request.urlopen(url, timeout=60).read()
    algo, want = p["integrity"].split("-", 1)
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        sys.exit("%s: %s %s, package-lock.json says %s" % (url, algo, got, want))
    dest = os.path.join(d, "node_modules", name)
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            n = m.name[len("package/"):] if m.name.startswith("package/") else None
            if not m.isfile() or n is None or ".." in n.split("/"):
                continue
            if n in ("package.json", "LICENSE") or wanted(n):
                os.makedirs(os.path.dirname(os.path.join(dest, n)), exist_ok=True)
                with open(os.path.join(dest, n), "wb") as f:
                    f.write(t.extractfile(m).read())
PY
    echo "$sum" >"$stamp"
}

# mpegts.js and hls.js, pinned by daemon/web/package-lock.json: lightstreamd serves them to its page.
web="$(cd "$here/../../daemon/web" && pwd)"
if [ "$mode" = tests ]; then
    npm_ci "$web" hls.js "mpegts.js and hls.js"
else
    fetch_web "$web"
fi

[ "$mode" = tests ] || { say "ok ($mode)"; exit 0; }

# Never leave a default nginx listening anywhere (it would only be ours if we just installed it).
if [ "$new_nginx" = 1 ] && command -v pgrep >/dev/null && pgrep -x nginx >/dev/null; then
    say "stopping the nginx that the package started"
    "${SUDO[@]}" /usr/sbin/nginx -s quit 2>/dev/null || true
fi

[ -x /usr/sbin/nginx ] || die "/usr/sbin/nginx missing after install"
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || die "ngx_rtmp_module.so missing after install"
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer' ||
    die "/usr/bin/python3 cannot import GstRtspServer (python3-gi, gir1.2-gst-rtsp-server-1.0)"
/usr/bin/python3 - <<'EOF' || die "GStreamer elements are missing (gstreamer1.0-plugins-base/good/bad)"
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
need = "appsrc qtdemux h264parse h265parse aacparse rtph264pay rtph265pay rtpmp4gpay rtppcmapay rtppcmupay"
missing = [e for e in need.split() if not Gst.ElementFactory.find(e)]
if missing:
    sys.exit("missing GStreamer elements: " + " ".join(missing))
EOF
encoders="$(ffmpeg -hide_banner -encoders 2>/dev/null)" || die "ffmpeg does not run"
for enc in libx264 libx265 aac pcm_alaw pcm_mulaw; do
    grep -qw "$enc" <<<"$encoders" || die "ffmpeg has no $enc encoder (media.sh needs it): not Debian's ffmpeg?"
done

[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install (the browser test needs it)"

# The upstream tarballs of subprojects/*.wrap, for tests/fallback (which builds lightstreamd with
# meson's fallback, offline): Debian's source packages carry the very same files as their
# .orig.tar.gz (the test checks their hashes against the wraps). apt-get source through a
# private configuration (deb-src lines, lists and cache under tests/.cache/apt-src), so the
# machine's own apt sources stay as they are.
wrap_sources() {
    local top cache apt wanted=() p f
    top="$(cd "$here/../.." && pwd)"
    cache="$top/tests/.cache/wrap-sources"
    apt="$top/tests/.cache/apt-src"
    for p in jansson:jansson_2.14.orig.tar.gz libevent:libevent_2.1.12-stable.orig.tar.gz; do
        [ -s "$cache/${p#*:}" ] || wanted+=("${p%%:*}")
    done
    if [ ${#wanted[@]} -eq 0 ]; then say "subprojects' source tarballs already fetched"; return; fi
    say "fetching the Debian sources of ${wanted[*]} (for the subprojects fallback test)"
    mkdir -p "$cache" "$apt/parts" "$apt/lists/partial" "$apt/cache"
    local suite
    # shellcheck source=/dev/null
    suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
    cat >"$apt/parts/deb-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/parts"
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
                -o APT::Sandbox::User="$(id -un)")
    apt-get "${opts[@]}" update -qq || die "apt-get update of the deb-src lists failed"
    (cd "$cache" && apt-get "${opts[@]}" source --download-only -qq "${wanted[@]}" >&2) ||
        die "apt-get source ${wanted[*]} failed"
    for f in jansson_2.14.orig.tar.gz libevent_2.1.12-stable.orig.tar.gz; do
        [ -s "$cache/$f" ] || die "$f is not in Debian's source packages any more: update subprojects/*.wrap"
    done
}
wrap_sources

# node-media-server and playwright-core, pinned by package-lock.json, into tests/harness/node_modules.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    say "warning: node $(node --version) is older than node-media-server 4.4's and playwright-core's declared minimum (20)"
fi
npm_ci "$here" playwright-core "node-media-server and playwright-core"
# @redocly/cli, pinned by its package-lock.json: lints docs/openapi.json (tests/daemon/test_openapi.py).
npm_ci "$(cd "$here/../daemon/redocly" && pwd)" @redocly/cli "@redocly/cli"
# hls.js, pinned by its package-lock.json: plays a recorded range in Chromium
# (tests/daemon/test_recording_api.py).
npm_ci "$(cd "$here/../daemon/hlsjs" && pwd)" hls.js "hls.js"
say "ok ($mode)"
