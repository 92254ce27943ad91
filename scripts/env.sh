# Sourced by the README commands: create or refresh the project's virtual environment in .venv.
# The venv is rebuilt only when requirements.txt or pyproject.toml change (a stamp holds their hash).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${XPROJ_VENV:-$repo/.venv}"
stamp="$venv/.xproj-stamp"
want="$(cat "$repo/requirements.txt" "$repo/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[xproj] preparing the virtual environment in $venv (first run takes a few minutes)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  # torch first and pinned: an unpinned torch pulled in by a dependency resolves a multi-GB CUDA build.
  "$venv/bin/python" -m pip install -q "$(grep '^torch==' "$repo/requirements.txt")"
  "$venv/bin/python" -m pip install -q -r "$repo/requirements.txt"
  "$venv/bin/python" -m pip install -q --no-deps -e "$repo"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
export XPROJ_DATA_DIR="${XPROJ_DATA_DIR:-$repo/../shared/data}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false
cd "$repo"
