"""Who is calling: API keys (per tenant), the admin login (JWT), and per-key rate limits.

Nothing here knows HTTP; ``argus.api.auth`` reads headers and turns these answers into
responses.
"""
