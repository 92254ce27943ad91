"""Which source-model weights does this machine train for a profile, under a given CPU-kernel setting?

A profile that pins ``source_model_weights`` (the adversarial sweep's) runs only where the English source model
trains to those bits, and which bits a machine trains depends on the kernels torch, MKL and oneDNN pick for its
CPU. This trains the profile's source model anew in an empty cache (12-35 CPU-min), in a subprocess with the
chosen setting, and prints its digest beside the pinned one:

    python benchmarks/source_weights.py --avx2                      # torch, MKL and oneDNN held to AVX2
    python benchmarks/source_weights.py --avx2 --env MKL_CBWR=SSE4_2 --env MKL_ENABLE_INSTRUCTIONS=
    python benchmarks/source_weights.py --avx2 --mkl-vendor zen     # MKL told it runs on an AMD Zen

``--mkl-vendor`` preloads a three-function shim (built with ``cc``) that answers MKL's vendor queries, which
libtorch exports, so an Intel CPU takes MKL's AMD (``zen``) or generic non-Intel (``non-intel``) code paths.
Needs ``XPROJ_DATA_DIR``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
SHIM = """int mkl_serv_intel_cpu_true(void) {{ return 0; }}
int mkl_serv_intel_cpu(void) {{ return 0; }}
int mkl_serv_cpuiszen(void) {{ return {zen}; }}
"""
TRAIN = ("import sys; from xproj_lib.study import load_profile; "
         "from xproj_lib.pipelines.components import source_model_weights; "
         "print(source_model_weights(load_profile(sys.argv[1]).models))")


def build_shim(vendor: str, folder: Path) -> Path:
    """Compile the MKL vendor shim for ``vendor`` (``zen`` or ``non-intel``) into ``folder``."""
    source, library = folder / "mkl_vendor.c", folder / "mkl_vendor.so"
    source.write_text(SHIM.format(zen=int(vendor == "zen")))
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)
    return library


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="offline-adv-sweep")
    ap.add_argument("--avx2", action="store_true", help="hold torch, MKL and oneDNN to AVX2")
    ap.add_argument("--mkl-vendor", choices=["zen", "non-intel"], help="make MKL take this vendor's code paths")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="one more environment variable (an empty VALUE unsets KEY)")
    args = ap.parse_args()
    from xproj_lib.study import load_profile

    pinned = load_profile(args.profile).source_model_weights
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, **(AVX2 if args.avx2 else {}), "XPROJ_CACHE_DIR": str(Path(scratch) / "cache")}
        for item in args.env:
            key, _, value = item.partition("=")
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        if args.mkl_vendor:
            env["LD_PRELOAD"] = str(build_shim(args.mkl_vendor, Path(scratch)))
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", TRAIN, args.profile], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
    digest = out.strip().splitlines()[-1]
    print(f"trained {digest} in {time.perf_counter() - start:.0f} s; profile {args.profile!r} pins {pinned}: "
          f"{'same' if digest == pinned else 'different'}")


if __name__ == "__main__":
    main()
