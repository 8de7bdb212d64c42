"""``python -m build_scripts [--no-pdf] [--no-offline] [--emit-only]``: build the edition."""

from __future__ import annotations

import argparse
import sys
import time

from .config import load_config
from .diagnostics import BuildError
from .emit import emit, write_files
from .pages import render_pages
from .pipeline import StageTimer, build, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_scripts", description=__doc__)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF stage")
    parser.add_argument("--no-offline", action="store_true", help="skip the offline copy")
    parser.add_argument("--emit-only", action="store_true", help="regenerate docs/ and stop")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        config = load_config()
        if args.emit_only:
            timer = StageTimer()
            edition = prepare(config, timer)
            write_files(emit(edition, render_pages(edition)), config.docs_dir)
        else:
            build(config, pdf=not args.no_pdf, offline=not args.no_offline)
    except BuildError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        print(f"build failed with {len(exc.diagnostics)} error(s); nothing was published", file=sys.stderr)
        return 1
    print(f"  {'total':<10} {time.perf_counter() - start:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
