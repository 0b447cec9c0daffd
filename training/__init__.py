"""Thin TRL layer: train SFT and GRPO from curated thinkset snapshots."""
