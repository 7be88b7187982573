#!/bin/sh
# Generates ./configure from configure.ac. Run once after a fresh clone (the
# quick start does it for you).
set -e
cd "$(dirname "$0")"
autoreconf --install --force
