#!/bin/sh
# Install every Debian package that building, testing and demoing ochre needs
# (or, given arguments, those packages instead: see install-bench-deps.sh).
# Idempotent: when all packages are present it does nothing (no apt-get update),
# so `make check` stays fast on a machine that is already set up.
set -eu

PACKAGES="
  build-essential pkg-config
  libjson-c-dev libyaml-dev libarchive-dev libssl-dev libmount-dev libcap-dev
  crun runc conmon
  busybox-static
  uidmap util-linux procps psmisc libcap2-bin strace
  fuse3 fuse-overlayfs
  umoci skopeo python3 zstd
  libsquashfs-dev squashfs-tools squashfs-tools-ng squashfuse
  golang-go golang-github-sylabs-sif-dev golang-github-google-uuid-dev
  libcurl4-openssl-dev ca-certificates docker-registry apache2-utils openssl curl
  debootstrap qemu-system-x86 e2fsprogs
  clang libclang-rt-14-dev
  clang-format shellcheck
  slurm-wlm munge openmpi-bin libopenmpi-dev hpcc
  snakemake cwltool
"

[ $# -gt 0 ] && PACKAGES="$*"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/dev/null
