"""The method: North Star, goals, objectives and key results, activities, KPIs, measurements.

health.py, chain.py and lint.py are pure (no Slack, no database): data in, results out.
"""
