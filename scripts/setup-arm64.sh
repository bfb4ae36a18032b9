#!/usr/bin/env bash
# Builds the arm64 sysroot the qemu-arm64 device runs its runner in: Debian's
# arm64 Node.js and every library it needs, unpacked (never installed) into
# .cache/arm64-sysroot/ (or the directory given as the first argument).
#
# Nothing is installed into / and the system's apt configuration is left alone:
# apt runs with a private state and cache under .cache/arm64-apt/, reading the
# system's sources lists, and apt's own resolver picks the dependency closure.
# Needs apt-get and dpkg-deb (Debian), and qemu-aarch64 (Debian's qemu-user) to
# check the result. Skips everything when the sysroot is already complete.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSROOT="$(realpath -m "${1:-.cache/arm64-sysroot}")"
APT_DIR="$PWD/.cache/arm64-apt"
# Written last, so its presence means the sysroot is complete; the qemu-arm64 driver reads it.
STAMP="$SYSROOT/.edgebench-sysroot"
ROOT_PACKAGES=(nodejs)

step() { echo "setup-arm64: $*"; }
die() {
  echo "setup-arm64: error: $*" >&2
  exit 1
}

if [ -f "$STAMP" ] && [ -x "$SYSROOT/usr/bin/node" ]; then
  step "arm64 sysroot already complete: $SYSROOT ($(head -n 1 "$STAMP")); delete the directory to rebuild it"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get and dpkg-deb were not found: this script needs a Debian machine"
QEMU="$(command -v qemu-aarch64 || true)"
[ -n "$QEMU" ] || die "qemu-aarch64 was not found on PATH: install Debian's qemu-user package (bash scripts/setup.sh does, or: apt-get install qemu-user)"

started=$SECONDS
rm -rf "$APT_DIR"
mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/debs"
# An empty dpkg status: nothing counts as installed, so apt resolves the whole closure for arm64.
: >"$APT_DIR/state/status"
# APT::Sandbox::User=root: the private directories belong to whoever runs this, not to apt's _apt user
# (when not run as root, apt never changes user and the option has no effect).
APT=(apt-get -q
  -o "Dir::State=$APT_DIR/state"
  -o "Dir::State::status=$APT_DIR/state/status"
  -o "Dir::Cache=$APT_DIR/cache"
  -o APT::Architecture=arm64
  -o APT::Architectures=arm64
  -o APT::Install-Recommends=false
  -o APT::Sandbox::User=root)

step "reading the arm64 package lists of the system's apt sources (private apt state in $APT_DIR)"
"${APT[@]}" update >"$APT_DIR/update.log" 2>&1 || die "apt-get update for arm64 failed:
$(tail -n 15 "$APT_DIR/update.log")"

step "resolving ${ROOT_PACKAGES[*]} and its runtime dependencies for arm64"
plan="$("${APT[@]}" install --simulate "${ROOT_PACKAGES[@]}" 2>&1)" || die "apt could not resolve ${ROOT_PACKAGES[*]} for arm64:
$plan
(the system's apt sources must carry arm64 packages, as Debian's archive does)"
mapfile -t PINNED < <(awk '/^Inst / { version = $3; sub(/^\(/, "", version); print $2 "=" version }' <<<"$plan")
printf '%s\n' "${PINNED[@]}" | grep -q '^nodejs=' || die "apt planned no nodejs package for arm64:
$plan"
step "${#PINNED[@]} packages: ${PINNED[*]}"

step "downloading them into $APT_DIR/debs"
(cd "$APT_DIR/debs" && "${APT[@]}" download "${PINNED[@]}" >"$APT_DIR/download.log" 2>&1) || die "apt-get download failed:
$(tail -n 15 "$APT_DIR/download.log")"

BUILD="$SYSROOT.partial"
trap 'rm -rf "$BUILD"' EXIT
rm -rf "$BUILD"
mkdir -p "$BUILD"
step "unpacking them into $SYSROOT"
for deb in "$APT_DIR/debs"/*.deb; do
  dpkg-deb --extract "$deb" "$BUILD" || die "could not unpack $deb"
done
# qemu -L resolves a guest path inside the sysroot on the host: an absolute symlink
# there would point at the host's own (x86-64) files, so each is made relative.
while IFS= read -r -d '' link; do
  ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$BUILD$(readlink "$link")")" "$link"
done < <(find "$BUILD" -type l -lname '/*' -print0)

step "checking that the arm64 Node.js starts under $QEMU"
node_says="$("$QEMU" -L "$BUILD" "$BUILD/usr/bin/node" -p 'process.arch + " " + process.version' 2>&1)" || die "the arm64 Node.js did not start under qemu-aarch64:
$node_says"
[[ "$node_says" == "arm64 "* ]] || die "the sysroot's Node.js reports \"$node_says\", expected arm64"

{
  echo "Node.js ${node_says#arm64 } (arm64) from ${#PINNED[@]} Debian packages, built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '%s\n' "${PINNED[@]}"
} >"$BUILD/.edgebench-sysroot"
rm -rf "$SYSROOT"
mv "$BUILD" "$SYSROOT"
rm -rf "$APT_DIR"
step "done in $((SECONDS - started)) s: $SYSROOT ($(du -sh "$SYSROOT" | cut -f1)), Node.js ${node_says#arm64 } for arm64"
