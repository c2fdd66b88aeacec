"""Benchmarks of the seed's scenarios and beyond (see `magistrate bench`)."""
