#!/usr/bin/env bash
# Installs what edgebench and its tests need on a fresh Debian or Ubuntu machine:
# the system packages (from the distribution's repositories only), then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium + chromium-driver: the browser device and the HTML report's browser tests;
# qemu-user: the emulated ARM64 board (qemu-aarch64).
APT_PACKAGES=(chromium chromium-driver qemu-user)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

npm ci --no-audit --no-fund

# The arm64 user space the qemu-arm64 device runs in (Debian packages unpacked into .cache/, nothing installed).
bash scripts/setup-arm64.sh
