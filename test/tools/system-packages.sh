#!/usr/bin/env bash
# The real peers the tests drive come from Debian's packages: sipp as a phone,
# Kamailio as a registrar, Chromium as the admin's browser. `npm test` brings
# whichever is missing (as root, through apt-get), so a fresh machine needs
# nothing installed by hand.
set -euo pipefail
declare -A wanted=(
  [sipp]="sip-tester"
  [kamailio]="kamailio kamailio-utils-modules kamailio-json-modules"
  [chromium]="chromium"
  [curl]="curl"
)
missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=(${wanted[$cmd]})
done
# http_client (the registrar feed lookup) and json (reading its answer) ship
# apart from kamailio itself.
if command -v kamailio >/dev/null 2>&1 && ! ls /usr/lib/x86_64-linux-gnu/kamailio/modules/http_client.so >/dev/null 2>&1 \
  && ! ls /usr/lib/*/kamailio/modules/http_client.so >/dev/null 2>&1; then
  missing+=(kamailio-utils-modules)
fi
# nginx (a reverse proxy in front of the server) lives in /usr/sbin, often not on PATH.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if command -v kamailio >/dev/null 2>&1 && ! ls /usr/lib/*/kamailio/modules/json.so >/dev/null 2>&1; then
  missing+=(kamailio-json-modules)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the tests need these Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "installing the test peers: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
