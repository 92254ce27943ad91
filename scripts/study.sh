#!/usr/bin/env bash
# README command 1: the offline study on its default languages (every available method), then the report.
# Extra arguments go to `xproj study run` (e.g. --workers 2, --languages hau yor, --profile smoke).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" HF_DATASETS_OFFLINE="${HF_DATASETS_OFFLINE:-1}" TRANSFORMERS_OFFLINE="${TRANSFORMERS_OFFLINE:-1}"
status=0
xproj study run --profile offline "$@" || status=$?
xproj report || status=$?
echo "[xproj] open results/index.html for the rendered report and every run"
exit "$status"
