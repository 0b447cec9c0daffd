"""DuckDB SQL kept as files, shipped as package data: the catalog DDL (``catalog*.sql``), the catalog's named
statements (``queries_*.sql``, one ``-- name: <statement>`` block each) and queries a person may run by hand
(``funnel.sql``). Read them with ``curation.store.catalog.sql_file``, never by a path relative to the source tree.
"""
