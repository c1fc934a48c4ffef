"""The method, pure: health, KPI trees, triggers and the causal chain. Data in, results out;
no Slack, no database."""
