#!/usr/bin/env bash
# The paper's translate-test protocol for ONE language with the real models (params/profiles/paper.yaml), then
# the stage throughput benchmark on that language. Needs a CUDA GPU and the models in the Hugging Face cache
# (or internet access to download them); see docs/paper-profile.md.
#
#   scripts/gpu_one_language.sh <lang> [extra `xproj study run` arguments, e.g. --methods tt-model-transfer]
#
# <lang> is an ISO 639-3 code (hau, swa, ...) or a dataset code (sw, de, ...); every dataset of the paper
# profile that has the language is run. Results go to $XPROJ_RESULTS (default results-paper/).
# XPROJ_ALLOW_CPU=1 runs without a GPU (hours per language with NLLB-3.3B on a CPU).
set -euo pipefail
lang="${1:?usage: scripts/gpu_one_language.sh <lang> [xproj study run arguments]}"
shift
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if ! python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "[xproj] no CUDA device visible to torch ($(python -c 'import torch; print(torch.__version__)'))." >&2
  if [ "${XPROJ_ALLOW_CPU:-0}" != 1 ]; then
    echo "[xproj] install a CUDA build of torch, or set XPROJ_ALLOW_CPU=1 to run on the CPU anyway." >&2
    exit 2
  fi
fi
results="${XPROJ_RESULTS:-results-paper}"
start=$(date +%s)
xproj study run --profile paper --languages "$lang" --results-dir "$results" --workers 1 "$@"
echo "[xproj] $lang: study cells done in $(( $(date +%s) - start )) s; records under $results/records"
dataset_code="$(python - "$lang" <<'PY'
import sys
from xproj_lib.languages import all_languages
code = sys.argv[1]
for lang in all_languages().values():
    for dataset in ("masakhaner2", "wikiann"):
        if dataset in lang.datasets and code in (lang.iso639_3, lang.datasets[dataset]):
            print(dataset, lang.datasets[dataset])
            raise SystemExit
raise SystemExit(f"{code}: not a MasakhaNER2 or PAN-X language")
PY
)"
read -r dataset code <<< "$dataset_code"
python benchmarks/gpu_pipeline.py --dataset "$dataset" --lang "$code" --translator facebook/nllb-200-3.3B \
  | tee "$results/gpu_pipeline_${code}.log"
