"""Jinja templates of dataset cards, model cards and check reports, shipped as package data.

Load them through ``curation.publish.templates`` (``importlib.resources``), never by a path relative to the source tree.
"""
