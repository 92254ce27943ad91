"""The ``xproj`` command line. Subcommands import their modules lazily so ``xproj --help`` stays fast."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _data_check(args: argparse.Namespace) -> int:
    from .datacheck import main as check_main

    return check_main(args.data_dir)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="xproj", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="dataset utilities").add_subparsers(dest="data_command", required=True)
    check = data.add_parser("check", help="read every dataset, print counts and repairs, compare with the manifest")
    check.add_argument("--data-dir", type=Path, default=None, help="dataset root (default: $XPROJ_DATA_DIR)")
    check.set_defaults(func=_data_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``xproj`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
