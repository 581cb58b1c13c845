#!/usr/bin/env bash
# Headless Chromium for the tests that check what an annotator sees (tests/labelstudio/test_browser.py).
# Installs Debian's chromium, chromium-driver and an emoji font when they are missing and apt-get can run
# (root); otherwise says so once, and those tests skip with the reason. Browser downloads do not work
# here, so the browser comes from the distribution, not from selenium's own manager.
set -u
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: no chromium/chromedriver and no root apt-get; the headless-browser tests will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji; } >/tmp/ner-browser-install.log 2>&1; then
    echo "browser: apt-get could not install chromium (see /tmp/ner-browser-install.log); the headless-browser tests will skip" >&2
fi
exit 0
