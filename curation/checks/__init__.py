"""Great Expectations suites per snapshot kind, their results in the catalog, and an HTML report.

Import from the submodules: ``curation.checks.runner`` (check_snapshot, check_frame, record) loads
Great Expectations, which takes seconds; ``curation.checks.results`` (latest_result) does not.
"""
