"""Benchmarks of the edition build (``python -m benchmarks`` / ``make bench``), written to BENCHMARKS.md.

A script, not a test: it measures, compares against bare baselines in the same run, and states
each target as met or missed. Modules: :mod:`.machine` (what ran it), :mod:`.project` (temporary
project copies and the bare MkDocs configuration), :mod:`.buildtime` (stage times and baselines),
:mod:`.scaling` (synthetic 10× and 50× editions, one subprocess per size), :mod:`.reader` (bytes a
reader downloads, search index size) and :mod:`.report` (the Markdown).
"""
