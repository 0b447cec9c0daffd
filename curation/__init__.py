"""thinkset: curate, check, review, version and publish OpenVLThinker-style SFT/GRPO datasets."""

__version__ = "0.1.0"
