#!/usr/bin/env bash
# fetch_sources.sh downloads the pinned Debian source packages of BoringSSL and
# Abseil, verifies them (apt checks Debian's signed index; we check the pinned
# sha256 as well) and unpacks them under third_party/src/, where WORKSPACE
# finds them. It never changes the system's apt configuration: it uses a
# private sources list and a private package-list directory. Idempotent: when
# the unpacked trees match the pins it does nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src"
cache="${CRYPTOKI_SOURCE_CACHE:-$here/src/.download}"

# name  source-package  upstream-version  orig-tarball  sha256
pins=(
  "boringssl android-platform-external-boringssl 13.0.0+r24 android-platform-external-boringssl_13.0.0+r24.orig.tar.xz 583b7aeee1fca68b8244d086cea6fca23bd19d517bd63f0b9de714e048f92a7d"
  "abseil abseil 20220623.1 abseil_20220623.1.orig.tar.gz abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe"
)

apt_private() {
  local dir="$cache/apt"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial"
  cat >"$dir/sources.list" <<'LIST'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
LIST
  apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives"
    -o "APT::Sandbox::User=root" -q)
  if [[ ! -e $dir/updated ]]; then
    apt-get "${apt_opts[@]}" update >&2
    touch "$dir/updated"
  fi
}

for pin in "${pins[@]}"; do
  read -r name pkg version tarball sha <<<"$pin"
  dest="$src/$name"
  if [[ -e $dest/.cryptoki-pin ]] && [[ $(cat "$dest/.cryptoki-pin") == "$sha" ]]; then
    continue
  fi
  mkdir -p "$cache"
  if [[ ! -e $cache/$tarball ]] || ! echo "$sha  $cache/$tarball" | sha256sum -c --quiet - 2>/dev/null; then
    apt_private
    echo "fetch_sources: downloading $pkg ($version) from Debian" >&2
    (cd "$cache" && apt-get "${apt_opts[@]}" source --download-only "$pkg" >&2)
  fi
  if ! echo "$sha  $cache/$tarball" | sha256sum -c --quiet -; then
    echo "fetch_sources: $tarball does not match the pinned sha256 $sha" >&2
    exit 1
  fi
  rm -rf "$dest" "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar -xf "$cache/$tarball" -C "$dest.tmp" --strip-components=1
  echo "$sha" >"$dest.tmp/.cryptoki-pin"
  mv "$dest.tmp" "$dest"
  echo "fetch_sources: $name $version ready in $dest" >&2
done
