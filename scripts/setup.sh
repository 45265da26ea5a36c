#!/usr/bin/env bash
# Set up a fresh Debian machine for archiver: system packages (poppler, CJK fonts), a virtualenv
# in .venv with the CPU build of PyTorch and the requirements. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(poppler-utils fonts-noto-cjk fonts-noto-cjk-extra fonts-arphic-uming fonts-arphic-ukai fonts-arphic-gbsn00lp
              fonts-arphic-gkai00mp fonts-wqy-zenhei fonts-wqy-microhei fonts-lxgw-wenkai fonts-cwtex-fs
              chromium    # the site's browser tests drive it through Playwright (no browser download)
              postgresql redis-server)  # the PostgreSQL backend and the Celery broker: tests run against both
[ "${WITH_BENCH:-0}" = 1 ] && APT_PACKAGES+=(tesseract-ocr tesseract-ocr-chi-sim ocrmypdf)  # peers of the benchmarks only
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
[ "${WITH_BENCH:-0}" = 1 ] && .venv/bin/pip install -q --disable-pip-version-check -r requirements-bench.txt
# The package itself, editable: the `archiver` command, and package data found where the code is.
.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "archiver: set up (.venv ready)"
