"""The HTTP edge: routes parse and validate, everything else happens below."""
