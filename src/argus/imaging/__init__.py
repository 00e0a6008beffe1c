"""Image intake: bytes in, a `Picture` out, with limits checked before pixels are decoded."""
