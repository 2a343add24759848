#!/usr/bin/env bash
# Set up everything the app and its tests need, on Debian/Ubuntu with Python 3.11+.
# Idempotent: a second run checks, finds nothing to do and touches no network.
#   PLAYGROUND_APT_EXTRA="pkg ..."  extra Debian packages to install (CI: xvfb)
#   PYTHON=/path/to/python3         the interpreter to build .venv from
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

# --- System libraries -------------------------------------------------------
# The PySide6 wheels bundle Qt itself but link against these system libraries.
# The list comes from the NEEDED entries of the Qt libraries and of the xcb
# (real X11 window) and offscreen platform plugins. libxcb-xinerama0 is not
# in it: Qt 6 no longer uses it. The GL/EGL libraries are needed even for
# offscreen rendering, because libQt6Gui links to them.
APT_PACKAGES=(
    libegl1 libgl1 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3
    libx11-6 libx11-xcb1 libxcb1 libxkbcommon0 libxkbcommon-x11-0
    libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    fonts-dejavu-core   # without any font, every label renders empty
)
# shellcheck disable=SC2206  # word splitting is the point
APT_PACKAGES+=(${PLAYGROUND_APT_EXTRA:-})
# xvfb-run refuses to start without xauth, which xvfb only recommends.
[[ " ${APT_PACKAGES[*]} " == *" xvfb "* ]] && APT_PACKAGES+=(xauth)

# Ubuntu 24.04 renamed some libraries with a t64 suffix (libglib2.0-0t64).
installed() { dpkg -s "$1" >/dev/null 2>&1 || dpkg -s "${1}t64" >/dev/null 2>&1; }

# Run as root, through passwordless sudo, or not at all.
as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
    else return 1; fi
}

apt_install() {
    say "installing system packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if command -v dpkg >/dev/null && command -v apt-get >/dev/null; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
    if ((${#missing[@]})); then
        apt_install "${missing[@]}" || {
            say "could not install system packages (not root, no passwordless sudo?)."
            say "please run: sudo apt-get install ${missing[*]}"
        }
    fi
else
    say "no apt-get here: make sure Qt 6's xcb libraries are installed (${APT_PACKAGES[*]})"
fi

# --- Python -----------------------------------------------------------------
PY=""
for c in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PY=$c; break
    fi
done
[[ -n $PY ]] || { say "Python 3.11 or newer is needed"; exit 1; }

# A venv whose interpreter no longer runs (Python upgraded or moved) is rebuilt.
if [[ -d .venv ]] && ! .venv/bin/python -c '' 2>/dev/null; then
    say "rebuilding broken .venv"; rm -rf .venv
fi
if [[ ! -d .venv ]]; then
    say "creating .venv with $($PY --version)"
    if ! "$PY" -m venv .venv 2>/dev/null; then
        # Debian ships venv's pip bootstrap separately, as python3-venv.
        rm -rf .venv
        ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        apt_install python3-venv "python${ver}-venv" || apt_install python3-venv ||
            { say "please install python3-venv"; exit 1; }
        "$PY" -m venv .venv
    fi
fi

# Reinstall only when pyproject.toml changed: the stamp names its hash.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-64)"
if [[ ! -f $stamp ]]; then
    say "installing the app and its test tools into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi
say "ready"
