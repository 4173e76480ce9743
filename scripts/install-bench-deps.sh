#!/bin/sh
# Install the Debian packages that `make bench` needs on top of
# scripts/install-deps.sh: the peers ochre is compared with (podman,
# Charliecloud's ch-run, bubblewrap), the runtimes it drives (crun, runc),
# the importers (umoci, tar), the image builders (debootstrap; mksquashfs
# and mksif, built with Go on the SIF library, for the OCI-SIF), the FUSE
# server single-file images run on (squashfuse) and GNU time.
# Idempotent: when all packages are present it does nothing (no apt-get
# update), so a second `make bench` does not touch the network.
set -eu
# shellcheck disable=SC2086 # the list is split on purpose

PACKAGES="
  crun runc
  podman conmon
  charliecloud-runtime
  bubblewrap
  umoci skopeo tar gzip debootstrap
  squashfs-tools squashfuse fuse3 golang-go golang-github-sylabs-sif-dev
  time procps util-linux passwd uidmap python3
"

exec "$(dirname "$0")/install-deps.sh" $PACKAGES
