"""Corpus file formats, one module each, all with load/dump (or read/write) pairs."""
