"""Build scripts for the reading edition of Edney (2015).

The pipeline (see :mod:`build_scripts.pipeline`) reads top to bottom:
source → repair → structure → citations → glossary → emit → site → PDF.
"""
