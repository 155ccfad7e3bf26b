#!/usr/bin/env bash
# A Docker engine for `sam local invoke`: nothing to do when `docker info` already answers (Docker
# Desktop, a systemd docker service). Otherwise, as root on Linux (CI, this project's machines):
# install Debian's docker.io when dockerd is missing and start dockerd in the background with
#   --storage-driver vfs   works on any filesystem, including inside a container (no overlayfs)
#   --iptables=false       no NAT rules: the function containers only talk to the local stack on
#                          the host, through the bridge's gateway address
# Its log goes to $DOCKERD_LOG (default /tmp/newswatch-dockerd.log).
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "start-dockerd.sh: no Docker engine answers; start Docker (Docker Desktop," \
    "or 'sudo systemctl start docker') and try again" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  echo "start-dockerd.sh: installing Debian's docker.io" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
log="${DOCKERD_LOG:-/tmp/newswatch-dockerd.log}"
echo "start-dockerd.sh: starting dockerd (vfs, --iptables=false), log in $log" >&2
nohup dockerd --storage-driver vfs --iptables=false >"$log" 2>&1 </dev/null &
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "start-dockerd.sh: dockerd did not answer within 60 s; the end of $log:" >&2
tail -n 20 "$log" >&2
exit 1
