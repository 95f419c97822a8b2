#!/usr/bin/env bash
# Installs the system libraries this project builds against, if any is missing:
#   OpenBLAS (matrix products), libpng (PNG charts), FreeType + DejaVu fonts (chart text),
#   zlib (gzip datasets), pkg-config (finds libpng and FreeType).
# Debian/Ubuntu: installs them with apt-get. macOS: Accelerate ships with the system; libpng and
# FreeType come from Homebrew. Elsewhere: prints what to install. Safe to run repeatedly.
set -euo pipefail

debian_packages=(libopenblas-dev libpng-dev libfreetype-dev fonts-dejavu-core zlib1g-dev pkg-config)

say() { printf 'setup: %s\n' "$*" >&2; }

if ! command -v swift >/dev/null 2>&1; then
    say "Swift is not installed (or not on PATH). Install Swift 6 from https://www.swift.org/install/ and run this again."
    exit 1
fi

case "$(uname -s)" in
Linux)
    if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        missing=()
        for package in "${debian_packages[@]}"; do
            dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
        done
        if [ ${#missing[@]} -eq 0 ]; then
            exit 0
        fi
        sudo=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
                say "missing packages: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}"
                exit 1
            fi
        fi
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
            # A fresh machine may have an empty package index: refresh it once and retry.
            $sudo apt-get update >/dev/null
            $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || {
                say "apt-get could not install: ${missing[*]}. Install them by hand and run this again."
                exit 1
            }
        fi
    else
        say "this Linux has no apt-get. Install the equivalents of: ${debian_packages[*]}"
        say "(Fedora: openblas-devel libpng-devel freetype-devel dejavu-sans-fonts zlib-devel pkgconf)"
        exit 1
    fi
    ;;
Darwin)
    if command -v brew >/dev/null 2>&1; then
        for formula in libpng freetype pkg-config; do
            brew list "$formula" >/dev/null 2>&1 || brew install "$formula"
        done
    else
        say "install Homebrew (https://brew.sh), then: brew install libpng freetype pkg-config"
        exit 1
    fi
    ;;
*)
    say "unsupported system $(uname -s). Install OpenBLAS, libpng, FreeType, zlib and pkg-config."
    exit 1
    ;;
esac
