#!/usr/bin/env bash
# setup.sh installs everything the build and the tests need on a Debian 12
# machine: the Debian packages (Bazel, GoogleTest, Google Benchmark, OpenSSL
# headers, the real PKCS#11 clients used by the interop tests) and the pinned
# BoringSSL and Abseil source packages. Idempotent: a second run does nothing
# but check. Must run as root (or with sudo available) for apt-get.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

packages=(
  bazel-bootstrap bazel-platforms bazel-skylib bazel-rules-java
  g++ libgtest-dev libbenchmark-dev libssl-dev
  xz-utils ca-certificates binutils
  opensc openssl softhsm2 gnutls-bin p11-kit libengine-pkcs11-openssl
  python3-pykcs11 default-jdk-headless openssh-client python3-matplotlib valgrind
)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  stamp=/var/lib/apt/periodic/cryptoki-update-stamp
  if [[ ! -e $stamp ]] || [[ -n $(find "$stamp" -mmin +360 2>/dev/null) ]]; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" mkdir -p "$(dirname "$stamp")"
    "${sudo_cmd[@]}" touch "$stamp"
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

"$here/../third_party/fetch_sources.sh"
