"""The core `thinkset` verbs (run, pool, snapshots, lineage, funnel, rejections, stages) and what every command
shares (``common``). ``curation.cli`` assembles these with the feature CLIs into one command."""
