# shellcheck shell=bash
# scripts/lib.sh — shared by scripts/demo and scripts/test; source it, don't run it.
# Usage: . "$(dirname "$0")/lib.sh"

PF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PF_BUILD="${PF_BUILD:-$PF_ROOT/build}"

# The Debian 12 packages the build and the tests need (no benchmark-only ones: pypy3, numba).
PF_DEB_PACKAGES=(build-essential cmake pkg-config llvm-14-dev libfabric-dev libhwloc-dev
  libxxhash-dev libcunit1-dev libgmp-dev libmicrohttpd-dev libjansson-dev libb2-dev
  libutf8proc-dev python3 python3-pytest)

pf_log() { printf '==> %s\n' "$*" >&2; }

# Installs the packages of PF_DEB_PACKAGES that are missing, and only those.
pf_install_deps() {
  local missing=() p
  for p in "${PF_DEB_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    pf_log "all ${#PF_DEB_PACKAGES[@]} Debian packages present"
    return 0
  fi
  pf_log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configures (RelWithDebInfo) and builds everything into $PF_BUILD.
pf_build() {
  pf_log "building into $PF_BUILD"
  cmake -S "$PF_ROOT" -B "$PF_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$PF_BUILD" -j"$(nproc)"
}

# Debian's Python (the one python3-pytest serves), else the first python3 on PATH.
pf_python() {
  if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}
