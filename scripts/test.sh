#!/usr/bin/env bash
# README command 2: run the test suite (slow tests excluded; pass `-m slow` or other pytest arguments to change that).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec python -m pytest "$@"
