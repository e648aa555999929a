#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PDF engine libraries, Chromium for the
# browser tests, PostgreSQL for the store tests, poppler's pdftotext, zbar's zbarimg (reads
# back the QR codes of printed forms), Java for ODK Validate of
# exported XLSForms). Idempotent; needs root
# (or sudo) and network access to the Debian archive. Skips what is already there.
set -euo pipefail
packages=(
  chromium chromium-driver
  postgresql
  poppler-utils
  zbar-tools
  default-jre-headless
  fonts-dejavu-core fonts-noto-core
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
