"""The ``xproj`` command line. Subcommands import their modules lazily so ``xproj --help`` stays fast."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _data_check(args: argparse.Namespace) -> int:
    from .datacheck import main as check_main

    return check_main(args.data_dir)


def _data_overlap(args: argparse.Namespace) -> int:
    from .overlap import overlap_table

    print(overlap_table(args.languages).to_markdown(index=False))
    return 0


def slurm_parameters(args: argparse.Namespace) -> dict:
    """The cluster's submitit parameters from the command line (the cells' resources come from the profile)."""
    params = {"slurm_partition": args.partition, "slurm_array_parallelism": args.array_parallelism,
              "log_dir": args.log_dir}
    if args.account:
        params["slurm_account"] = args.account
    return params


def _study_run(args: argparse.Namespace) -> int:
    from .study import default_workers, expand_cells, run_study, summarize

    cells = expand_cells(args.profile, datasets=args.datasets, languages=args.languages, methods=args.methods,
                         params_dir=args.params_dir)
    if not cells:
        print("no cells match the selection", file=sys.stderr)
        return 2
    try:
        results = run_study(cells, args.results_dir, workers=args.workers or default_workers(), force=args.force,
                            executor=args.executor, cluster=args.cluster, params_dir=args.params_dir,
                            slurm=slurm_parameters(args), time_limit_minutes=args.time_limit)
    except RuntimeError as exc:  # check_source_weights: the machine cannot run this profile's cells
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summarize(results))
    return 1 if any(r.status == "failed" for r in results) else 0


def _study_status(args: argparse.Namespace) -> int:
    from .study import expand_cells, progress

    cells = expand_cells(args.profile, datasets=args.datasets, languages=args.languages, methods=args.methods,
                         params_dir=args.params_dir)
    table = progress(cells, args.results_dir)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.1f}", na_rep="?"))
    todo, minutes = int(table.todo.sum()), table.todo_minutes.sum(min_count=1)
    unknown = table[(table.todo > 0) & table.todo_minutes.isna()].method.unique()
    print(f"{int(table.done.sum())} of {int(table.cells.sum())} cells done; {todo} to do, about "
          f"{minutes / 60:.1f} worker-hours by the done cells' median times"
          + (f" (no estimate yet for {', '.join(unknown)})" if len(unknown) else ""))
    return 0


def _report(args: argparse.Namespace) -> int:
    from .study import build_report

    print("report:", build_report(args.results_dir, params_dir=args.params_dir))
    return 0


def _add_selection(parser: argparse.ArgumentParser) -> None:
    """The options that select a study's cells, and its folders."""
    parser.add_argument("--profile", default="offline", help="params/profiles/<name>.yaml (default: offline)")
    parser.add_argument("--datasets", nargs="+", help="restrict to these datasets")
    parser.add_argument("--languages", nargs="+",
                        help="restrict to (or add) these languages (ISO 639-3 or dataset codes)")
    parser.add_argument("--methods", nargs="+", help="restrict to these methods")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--params-dir", type=Path, default=None, help="parameter folder (default: params/)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="xproj", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="dataset utilities").add_subparsers(dest="data_command", required=True)
    check = data.add_parser("check", help="read every dataset, print counts and repairs, compare with the manifest")
    check.add_argument("--data-dir", type=Path, default=None, help="dataset root (default: $XPROJ_DATA_DIR)")
    check.set_defaults(func=_data_check)
    overlap = data.add_parser("overlap", help="MasakhaNER2 test sentences repeated in MAFAND text or in train, and "
                                             "the transfer pairs left out for it")
    overlap.add_argument("--languages", nargs="+", help="ISO 639-3 codes (default: every MasakhaNER2 language)")
    overlap.set_defaults(func=_data_overlap)

    study = commands.add_parser("study", help="the study runner").add_subparsers(dest="study_command", required=True)
    run = study.add_parser("run", help="run every cell of a profile that has no result for its configuration yet")
    _add_selection(run)
    run.add_argument("--workers", type=int, default=None,
                     help="parallel cells, one torch thread each (default: one per CPU, as memory allows)")
    run.add_argument("--force", action="store_true", help="rerun cells that already have a result")
    run.add_argument("--executor", choices=["pool", "submitit"], default="pool",
                     help="local process pool, or submitit (SLURM on a cluster)")
    run.add_argument("--cluster", default=None, help="submitit cluster: slurm, local or debug (default: auto)")
    run.add_argument("--partition", default="xproj", help="SLURM partition (submitit; default: xproj)")
    run.add_argument("--account", default=None, help="SLURM account to charge (submitit)")
    run.add_argument("--array-parallelism", type=int, default=256,
                     help="at most this many cells of one job array run at once (submitit; default: 256)")
    run.add_argument("--log-dir", type=Path, default=None,
                     help="submitit's job scripts and logs (default: $XPROJ_CACHE_DIR/submitit, outside results/)")
    run.add_argument("--time-limit", type=float, default=None, metavar="MINUTES",
                     help="start only cells expected to end within MINUTES from now, by the recorded times of "
                          "their method's done cells (same language first; read as each cell starts); the others are "
                          "deferred to the next run")
    run.set_defaults(func=_study_run)

    status = study.add_parser("status", help="cells done and to do per method and seed, with a time estimate")
    _add_selection(status)
    status.set_defaults(func=_study_status)

    report = commands.add_parser("report", help="execute the report notebook: tables, figures, results/index.html")
    report.add_argument("--results-dir", type=Path, default=Path("results"))
    report.add_argument("--params-dir", type=Path, default=None)
    report.set_defaults(func=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``xproj`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("papermill", "traitlets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
