"""The print process: the PDF stage in a second process, forked when the build starts.

WeasyPrint is CPU-bound and needs nothing from MkDocs, and the machine has two cores. The print
process is forked before the text stages and loads WeasyPrint and the fonts while they run
(:func:`build_scripts.pdf.warm_up`); it lays the PDF out as soon as the pages exist
(:meth:`PrintJob.submit`), while the build's own process emits ``docs/`` and builds both sites.

It never outlives the build: a killed build takes it along (``PR_SET_PDEATHSIG``), and a build
that fails for any other reason kills it on the way out (:func:`print_process`) instead of
waiting for a PDF nobody will publish, so the failure is reported at once.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import pickle
import signal
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .config import PDF_NAME
from .diagnostics import BuildError, Diagnostic, Location
from .edition import Edition
from .pages import Page


class RemoteTraceback(Exception):
    """The print process's traceback, as text: the cause of an internal error raised there."""


class PrintJob:
    """A forked process that warms up, then lays out one PDF when :meth:`submit` sends the pages."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, root), name="edition-print", daemon=True)
        self.process.start()
        child.close()

    def submit(self, edition: Edition, pages: tuple[Page, ...], out: Path) -> None:
        """Start the PDF: ``edition`` and ``pages`` go to the print process, which writes ``out``.

        If the process has already ended, :meth:`result` says so."""
        with suppress(BrokenPipeError):
            self._conn.send((edition, pages, out))

    def result(self) -> float:
        """The seconds the PDF took; the print process's error, if it had one, is raised here."""
        try:
            reply = self._conn.recv()
        except EOFError:
            self.process.join()
            message = f"the print process ended without a PDF (exit code {self.process.exitcode})"
            raise BuildError([Diagnostic("E-PDF-BUILD", Location(PDF_NAME), message)]) from None
        if reply[0] == "error":
            raise reply[1] from RemoteTraceback(reply[2])
        return float(reply[1])

    def stop(self) -> None:
        """Kill the process if it still runs (the build failed, or it is exiting after its reply)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._conn.close()


@contextmanager
def print_process(enabled: bool, root: Path) -> Iterator[PrintJob | None]:
    """The print process for the block; stopped (killed if still working) when the block is left."""
    if not enabled:
        yield None
        return
    job = PrintJob(root)
    try:
        yield job
    finally:
        job.stop()


def _serve(conn: Connection, root: Path) -> None:
    """The print process: warm up, wait for the pages, lay out the PDF, send the seconds or the error.

    Ctrl-C reaches the whole process group; it is the build's to handle (leaving :func:`print_process`
    kills this process), so it is ignored here rather than printed as a second traceback.
    """
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .pdf import build_pdf, warm_up
    from .pipeline import record_loaded_libraries

    with suppress(Exception):  # only a head start: build_pdf meets the same problem and reports it
        warm_up(root)
    try:
        edition, pages, out = conn.recv()
    except EOFError:  # the build ended before its pages existed
        return
    reply: tuple[Any, ...]
    try:
        start = time.perf_counter()
        build_pdf(edition, pages, out)
        record_loaded_libraries()
        reply = ("done", time.perf_counter() - start)
    except Exception as exc:
        reply = ("error", _picklable(exc), traceback.format_exc())
    conn.send(reply)


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with_parent() -> None:
    """Linux: the print process is killed with the build, so a killed build leaves no writer behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
