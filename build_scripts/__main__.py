"""``python -m build_scripts [--no-pdf] [--no-offline] [--emit-only]``: build the edition."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from .config import ROOT, load_config
from .diagnostics import BuildError, Diagnostic, Location
from .emit import emit, write_files
from .pages import render_pages
from .pipeline import StageTimer, build, build_lock, check_docs, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_scripts", description=__doc__)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF stage")
    parser.add_argument("--no-offline", action="store_true", help="skip the offline copy")
    parser.add_argument("--emit-only", action="store_true", help="regenerate docs/ and stop")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    parser.add_argument("--project", type=Path, default=ROOT, help="project folder (default: this checkout)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        config = load_config(args.project.resolve())
        if args.emit_only:
            timer = StageTimer()
            with build_lock(config.root):
                edition = prepare(config, timer)
                files = emit(edition, render_pages(edition))
                check_docs(config.docs_dir, files)
                write_files(files, config.docs_dir)
        else:
            build(config, pdf=not args.no_pdf, offline=not args.no_offline)
    except BuildError as exc:
        return report(exc.diagnostics)
    except Exception as exc:  # a bug, not bad input: still a coded line, never a bare traceback
        if args.debug:
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        location = Location(where.filename, where.lineno or 0)
        return report([Diagnostic("E-INTERNAL", location, f"{type(exc).__name__}: {exc} (rerun with --debug)")])
    print(f"  {'total':<10} {time.perf_counter() - start:7.3f} s")
    return 0


def report(diagnostics: list[Diagnostic]) -> int:
    for d in diagnostics:
        print(d, file=sys.stderr)
    print(f"build failed with {len(diagnostics)} error(s); nothing was published", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
