#!/usr/bin/env bash
# Installs what edgebench and its tests need on a fresh Debian or Ubuntu machine:
# the system packages, the npm packages, and the arm64 user space of the emulated ARM board.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
# onnxruntime-node's install script would fetch CUDA libraries from outside the npm registry on linux-x64;
# the CPU runtime edgebench uses ships inside the package, so the fetch is skipped.
# node-llama-cpp's install script would download and compile llama.cpp when its prebuilt binary does not fit;
# package.json's allowScripts does not run it, NODE_LLAMA_CPP_SKIP_DOWNLOAD makes it a no-op where scripts do run,
# and the prebuilt binaries come from its npm platform packages (@node-llama-cpp/linux-x64, linux-arm64).
ONNXRUNTIME_NODE_INSTALL=skip NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund
node --import tsx scripts/check-llama-prebuilt.ts
# The callgrind addon the instructions metric needs (valgrind's callgrind.h + Node.js's headers), built once.
npm run build:callgrind-addon
# Debian packages unpacked into .cache/arm64-sysroot, nothing installed system-wide.
bash scripts/setup-arm64.sh
# The demo models (the classifier trained here, the committed decoder quantized and converted), built once:
# npm run demo then only benchmarks, and builds them itself if they are missing or stale.
npm run build:demo-models
