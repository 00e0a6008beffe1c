"""Outbound network access that user input can steer (image URLs), guarded against SSRF."""
