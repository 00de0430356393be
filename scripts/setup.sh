#!/usr/bin/env bash
# Idempotent set-up: installs the Debian packages and npm modules wbdiff needs, only if missing.
# The bookworm-backports suite (for Go 1.23) is added with the mirror URI this machine's own
# Debian apt sources already use: no mirror host name lives in this repo.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# package -> a file it installs (cheap presence check without dpkg-query per package)
declare -A NEED=(
  [qemu-system-arm]=/usr/bin/qemu-system-aarch64
  [gcc-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-gcc
  [binutils-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-objdump
  [golang-go]=/usr/bin/go
  [golang-1.23-go]=/usr/lib/go-1.23/bin/go
  [libunicorn2]=/usr/lib/x86_64-linux-gnu/libunicorn.so.2
  [libcapstone4]=/usr/lib/x86_64-linux-gnu/libcapstone.so.4
  [chromium]=/usr/bin/chromium
)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
missing=()
for pkg in "${!NEED[@]}"; do
  file=${NEED[$pkg]//x86_64-linux-gnu/$multiarch}
  [ -e "$file" ] || missing+=("$pkg")
done

backports_uri() {
  # The URI of the Debian archive serving the plain 'bookworm' suite, from deb822 or one-line sources.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS="";FS="\n"} {
      uri="";suites="";
      for(i=1;i<=NF;i++){ if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i);uri=$i}
                          if($i ~ /^Suites:/){sub(/^Suites:[ \t]*/,"",$i);suites=" "$i" "} }
      if (uri!="" && suites ~ / bookworm /) { split(uri,u," "); print u[1]; exit }
    }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1)=="bookworm") { print $i; exit } }' "$f"
  done
}

if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  if printf '%s\n' "${missing[@]}" | grep -qx 'golang-1.23-go'; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      uri=$(backports_uri | head -n1)
      if [ -z "$uri" ]; then
        log "error: no Debian 'bookworm' apt source found to derive the bookworm-backports mirror from."
        log "hint: add a bookworm-backports entry to /etc/apt/sources.list.d/ by hand, then re-run."
        exit 2
      fi
      log "adding bookworm-backports from the mirror this machine already uses"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" | $SUDO tee /etc/apt/sources.list.d/wbdiff-backports.sources >/dev/null
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm modules: install when node_modules is missing or older than the lock file. A linked
# node_modules (shared by several git worktrees) belongs to its own checkout: never reinstall it here.
if [ -L node_modules ]; then
  :
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
