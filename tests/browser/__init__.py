"""Browser tests: the built book and the Voila explorer in headless Chromium (marker: browser)."""
