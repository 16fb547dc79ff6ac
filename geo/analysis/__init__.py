"""未诉先办 analysis: emerging hotspots, seasonal forecasts, repeat appeals and key-population signals."""
