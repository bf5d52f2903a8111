#!/bin/bash
# install.sh: build cryptoki with `bazel build -c opt` and install it.
#
#   tools/install.sh [--prefix DIR] [--from-dist TAR | --from-dir DIR]
#
# Installs, under DESTDIR/PREFIX (PREFIX defaults to /usr/local):
#   lib/libcryptoki.so                     the PKCS#11 module
#   lib/libcryptoki++.so                   the C++ API (include/cryptoki/cryptoki.h)
#   bin/cryptoki-util                      the token administration tool
#   include/cryptoki/pkcs11.h, pkcs11_functions.inc, *.h   the C header and the C++ headers
#   include/cryptoki/third_party/absl/...  Abseil headers the C++ headers include
#   share/p11-kit/modules/cryptoki.module  p11-kit module file ("module: PREFIX/lib/libcryptoki.so")
#   lib/pkgconfig/cryptoki.pc              pkg-config file (Cflags/Libs for the C++ API;
#                                          `pkg-config --variable=module cryptoki`)
# The files name PREFIX, never DESTDIR (DESTDIR is for staging packages).
#
# --from-dist TAR installs the tree bundled by `bazel build //tools:dist`
# (bazel-bin/tools/dist.tar) without running Bazel; --from-dir DIR installs an
# unpacked one. Without either, the script builds //tools:dist with -c opt.
# Running it again over an installation replaces the files.
set -euo pipefail

prog=install.sh
usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}
die() {
  echo "$prog: $*" >&2
  exit 1
}

prefix=/usr/local
from_dist= from_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "$prog: --prefix needs a value" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --from-dist) [ $# -ge 2 ] || { echo "$prog: --from-dist needs a value" >&2; exit 2; }; from_dist=$2; shift 2 ;;
    --from-dist=*) from_dist=${1#--from-dist=}; shift ;;
    --from-dir) [ $# -ge 2 ] || { echo "$prog: --from-dir needs a value" >&2; exit 2; }; from_dir=$2; shift 2 ;;
    --from-dir=*) from_dir=${1#--from-dir=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$prog: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$prefix" in
  /*) ;;
  *) echo "$prog: --prefix must be an absolute path" >&2; exit 2 ;;
esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/
[ -z "$from_dist" ] || [ -z "$from_dir" ] || { echo "$prog: --from-dist and --from-dir exclude each other" >&2; exit 2; }
destdir=${DESTDIR:-}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=0.1

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ -z "$from_dist" ] && [ -z "$from_dir" ]; then
  command -v bazel >/dev/null || die "bazel not found (run tools/setup.sh first)"
  cd "$here/.."
  echo "$prog: building with bazel build -c opt //tools:dist" >&2
  bazel build -c opt //tools:dist >&2 || die "the build failed"
  from_dist="$(bazel info -c opt bazel-bin)/tools/dist.tar"
fi
if [ -n "$from_dist" ]; then
  [ -r "$from_dist" ] || die "cannot read $from_dist"
  mkdir "$tmp/dist"
  tar -C "$tmp/dist" -xf "$from_dist" || die "cannot unpack $from_dist"
  from_dir="$tmp/dist"
fi
src="$from_dir"
for f in lib/libcryptoki.so lib/libcryptoki++.so bin/cryptoki-util include/cryptoki/pkcs11.h \
  include/cryptoki/pkcs11_functions.inc include/cryptoki/cryptoki.h; do
  [ -f "$src/$f" ] || die "$src has no $f: not a cryptoki dist tree"
done

root="$destdir$prefix"
libdir="$prefix/lib"
includedir="$prefix/include"

# put MODE SRC DEST: installs one file through a temporary name and a
# rename, so a reader never sees half a library.
put() {
  local mode=$1 from=$2 to=$3
  mkdir -p "$(dirname "$to")"
  local t
  t="$(dirname "$to")/.${to##*/}.tmp$$"
  install -m "$mode" "$from" "$t" && mv -f "$t" "$to" || { rm -f "$t"; die "cannot install $to"; }
}

put 0755 "$src/lib/libcryptoki.so" "$root/lib/libcryptoki.so"
put 0755 "$src/lib/libcryptoki++.so" "$root/lib/libcryptoki++.so"
put 0755 "$src/bin/cryptoki-util" "$root/bin/cryptoki-util"
(cd "$src/include" && find . -type f | sort) | while read -r f; do
  put 0644 "$src/include/$f" "$root/include/${f#./}"
done

subst() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" "$1" >"$2"
}
subst "$here/cryptoki.module.in" "$tmp/cryptoki.module"
subst "$here/cryptoki.pc.in" "$tmp/cryptoki.pc"
put 0644 "$tmp/cryptoki.module" "$root/share/p11-kit/modules/cryptoki.module"
put 0644 "$tmp/cryptoki.pc" "$root/lib/pkgconfig/cryptoki.pc"

echo "$prog: installed cryptoki $version into $root" >&2
case "$prefix" in
  /usr) ;;
  *) echo "$prog: p11-kit reads module files from its own directory (pkg-config --variable=p11_module_configs p11-kit-1);" \
    "link $prefix/share/p11-kit/modules/cryptoki.module there, or into ~/.config/pkcs11/modules/" >&2 ;;
esac
