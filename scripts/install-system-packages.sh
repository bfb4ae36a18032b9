#!/usr/bin/env bash
# Installs the system packages edgebench's devices and tests drive, from the distribution's repositories only:
# chromium + chromium-driver (the browser device, the HTML report's browser tests) and qemu-user (the emulated ARM64 board).
set -euo pipefail

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
