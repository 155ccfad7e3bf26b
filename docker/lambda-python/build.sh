#!/usr/bin/env bash
# Builds newswatch/lambda-python:3.12-<arch>, a LOCAL STAND-IN for AWS's Lambda base image
# public.ecr.aws/lambda/python:3.12, offline: nothing is pulled from a registry.
#
#   docker/lambda-python/build.sh            # prints the image name; a no-op when it is current
#
# `sam local invoke --invoke-image <that name> --skip-pull-image` then runs the zip functions in
# it (SAM adds its Runtime Interface Emulator and the layers on top). It is only ever used for
# local invokes; AWS runs its own python3.12 runtime (see "What differs from AWS" in README.md).
#
# The image is a root filesystem put together from this machine and imported with
# `docker import` (no FROM, no Dockerfile):
#   /var/lang      a CPython 3.12 prefix (pyenv's, or $PYTHON312_PREFIX), without its test suite
#   /var/runtime   awslambdaric (the Runtime Interface Client) and the boto3/botocore pinned in
#                  constraints.txt (the runtime's SDK), plus bootstrap (this folder)
#   /lib, /usr/lib the shared libraries the interpreter and those packages link to (from ldd)
#   /bin/sh, mv, chmod  what SAM's own Dockerfile layer on top of the image runs
# The image carries a label with a hash of its inputs, so it is rebuilt only when they change.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
constraints="$root/constraints.txt"

case "$(uname -m)" in
  x86_64) arch=x86_64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "build.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
image="${NEWSWATCH_INVOKE_IMAGE:-newswatch/lambda-python:3.12-$arch}"

log() { echo "build.sh: $*" >&2; }

# A CPython 3.12 prefix: $PYTHON312_PREFIX, else pyenv's newest 3.12, else a python3.12 on PATH.
find_prefix() {
  if [[ -n "${PYTHON312_PREFIX:-}" ]]; then
    echo "$PYTHON312_PREFIX"
    return
  fi
  local candidate
  for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.* 2>/dev/null | sort -V -r); do
    if [[ -x "$candidate/bin/python3.12" ]]; then
      echo "$candidate"
      return
    fi
  done
  if command -v python3.12 >/dev/null; then
    python3.12 -c 'import sys; print(sys.base_prefix)'
    return
  fi
  log "no CPython 3.12 found: set PYTHON312_PREFIX to a 3.12 installation prefix (pyenv install 3.12)"
  exit 1
}

prefix="$(find_prefix)"
python="$prefix/bin/python3.12"
version="$("$python" -c 'import platform; print(platform.python_version())')"

inputs_hash="$(
  {
    cat "$here/build.sh" "$here/bootstrap"
    grep -iE '^(awslambdaric|simplejson|snapshot-restore-py|boto3|botocore|s3transfer|jmespath|python-dateutil|urllib3|six)==' "$constraints"
    echo "$version $arch"
  } | sha256sum | cut -c1-16
)"

if [[ "$(docker image inspect -f '{{index .Config.Labels "newswatch.inputs"}}' "$image" 2>/dev/null)" == "$inputs_hash" ]]; then
  log "$image is current (Python $version, inputs $inputs_hash)"
  echo "$image"
  exit 0
fi

log "building $image from $prefix (Python $version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{var/lang,var/runtime,var/task,opt,tmp,bin,etc}
chmod 1777 "$rootfs/tmp"

# The interpreter, without what a function never imports (test suite, IDLE, Tk, pip).
tar -C "$prefix" \
  --exclude=lib/python3.12/test --exclude=lib/python3.12/idlelib --exclude=lib/python3.12/tkinter \
  --exclude=lib/python3.12/turtledemo --exclude=lib/python3.12/ensurepip \
  --exclude=lib/python3.12/lib2to3 --exclude=lib/python3.12/pydoc_data \
  --exclude='lib/python3.12/lib-dynload/_tkinter*' \
  --exclude='lib/python3.12/config-3.12-*' \
  --exclude='lib/python3.12/site-packages/*' --exclude=lib/pkgconfig --exclude=include \
  --exclude=share -cf - . | tar -C "$rootfs/var/lang" -xf -

# The runtime's own packages, at the versions constraints.txt pins.
"$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-compile \
  --target "$rootfs/var/runtime" --constraint "$constraints" awslambdaric boto3 2>&1 |
  { grep -v -e '^WARNING: Location' -e "^WARNING: Running pip as the 'root' user" >&2 || true; }
echo /var/runtime > "$rootfs/var/lang/lib/python3.12/site-packages/lambda-runtime.pth"
install -m 0755 "$here/bootstrap" "$rootfs/var/runtime/bootstrap"
"$rootfs/var/lang/bin/python3.12" -m compileall -q -j 0 "$rootfs/var/runtime" >/dev/null 2>&1 || true

# A shell and the two commands SAM's Dockerfile runs on top of the image.
cp -L "$(command -v dash || command -v sh)" "$rootfs/bin/sh"
cp -L "$(command -v mv)" "$(command -v chmod)" "$rootfs/bin/"

# Every shared library those binaries and extension modules load, with the dynamic loader.
# (ldd fails on scripts and static files: those have nothing to add.)
find "$rootfs" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
  { xargs -0 ldd 2>/dev/null || true; } |
  awk '/=> \// { print $3 } /^\s*\/[^ ]*ld-linux/ { print $1 }' |
  sort -u |
  while read -r lib; do
    case "$lib" in "$prefix"/*) continue ;; esac
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
# And the rest of what every Linux (Amazon Linux 2023 too) has, which wheels link to without
# bundling it: all of glibc (cryptography's Rust extension needs librt), libgcc_s, libstdc++, zlib.
libc_dir="$(dirname "$(ldd "$python" | awk '/libc\.so/ { print $3 }')")"
for name in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libutil.so.1 libresolv.so.2 \
  libanl.so.1 libnss_files.so.2 libnss_dns.so.2 libgcc_s.so.1 libstdc++.so.6 libz.so.1 libexpat.so.1; do
  if [[ -e "$libc_dir/$name" ]]; then
    mkdir -p "$rootfs$libc_dir"
    cp -L "$libc_dir/$name" "$rootfs$libc_dir/$name"
  fi
done
# /lib64/ld-linux-x86-64.so.2 (or /lib/ld-linux-aarch64.so.1), which ldd names by its own path.
for loader in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.*; do
  [[ -e "$loader" ]] || continue
  mkdir -p "$rootfs$(dirname "$loader")"
  cp -L "$loader" "$rootfs$loader"
done
# Symbol tables are most of libpython's size; vfs copies the image for every layer SAM adds.
find "$rootfs" -type f \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded {} + 2>/dev/null || true
strip --strip-unneeded "$rootfs/var/lang/bin/python3.12" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n' \
  > "$rootfs/etc/passwd"

tar -C "$rootfs" -cf - . | docker import \
  --change 'ENV LANG=en_US.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
  --change "LABEL newswatch.inputs=$inputs_hash" \
  --change "LABEL newswatch.python=$version" \
  --change 'LABEL newswatch.description="local stand-in for public.ecr.aws/lambda/python:3.12"' \
  - "$image" >/dev/null
log "built $image ($(docker image inspect -f '{{.Size}}' "$image") bytes)"
echo "$image"
