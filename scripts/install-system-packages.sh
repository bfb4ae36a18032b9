#!/usr/bin/env bash
# Installs the system packages edgebench's devices and tests drive, from the distribution's repositories only:
# chromium + chromium-driver (the browser device, the HTML report's browser tests), qemu-user (the emulated ARM64 board)
# openssh-client + openssh-server (the ssh device; its tests start a real sshd on 127.0.0.1),
# and valgrind + build-essential (the instructions metric: callgrind, and the C compiler for its client-request addon).
set -euo pipefail

APT_PACKAGES=(chromium chromium-driver qemu-user openssh-client openssh-server valgrind build-essential)

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
