#!/usr/bin/env bash
# Headless Chromium and its WebDriver for the dashboard screenshot test (tests/integration/test_superset.py), and a
# small CJK font (1.6 MB) so the Chinese labels in the screenshots are not empty boxes. Debian's packages (the
# browser builds other installers download are unreachable here). Idempotent: does nothing when all are installed.
# Never fails the caller: without apt (or root) it says why, and the test then skips with the same hint.
set -uo pipefail
PACKAGES="chromium chromium-driver fonts-wqy-microhei"
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
  echo "    chromium and chromedriver already installed ($(chromium --version 2>/dev/null | head -1))"; exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "    skipping Chromium: no apt-get on this machine; the screenshot test will skip" \
       "(install chromium and chromedriver by hand to run it)"; exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "    skipping Chromium: apt-get needs root (run: sudo apt-get install chromium chromium-driver);" \
         "the screenshot test will skip"; exit 0
  fi
fi
echo "==> installing $PACKAGES (Debian packages, ~280 MB)"
log="${TMPDIR:-/tmp}/huitong-chromium-install.log"
if $SUDO apt-get update -qq >"$log" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >>"$log" 2>&1; then
  echo "    installed $(chromium --version 2>/dev/null | head -1)"
else
  echo "    skipping Chromium: apt-get failed (see $log); the screenshot test will skip"
fi
exit 0
