#!/usr/bin/env bash
# Installs the Debian packages the local sandbox needs (today: MariaDB for the real-engine MySQL
# look-alike), only when they are missing. Safe to re-run; does nothing when all are present.
#
# The sandbox starts its own mariadbd on a free loopback port, so the packaged service must not
# run: a policy-rc.d that denies service starts is put in place for the install (only if none
# exists), and anything the package still started is stopped and disabled afterwards.
set -euo pipefail

PACKAGES=(mariadb-server mariadb-client)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-packages: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

policy=/usr/sbin/policy-rc.d
placed_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# wbinstall sandbox: no service starts during package install\nexit 101\n' \
    | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  placed_policy=1
fi
cleanup() { [ "$placed_policy" = 1 ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT

echo "install-system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Belt and braces: if a service manager started the packaged server anyway, stop and disable it.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now mariadb.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/mariadb ]; then
  $SUDO /etc/init.d/mariadb stop >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null && $SUDO update-rc.d mariadb disable >/dev/null 2>&1 || true
fi
echo "install-system-packages: done"
