"""Jinja templates of dataset cards, model cards and check reports, shipped as package data.

Load them through ``curation.templates.render`` (``importlib.resources``), never by a path relative to the
source tree.
"""
