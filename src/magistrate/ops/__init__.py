"""Operator tools: status from the stores, corpus evaluation, replay under another constitution."""
