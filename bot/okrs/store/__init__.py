"""The method's tables, recording measurements, and loading and caching built chains."""
