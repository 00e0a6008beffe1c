"""Models: named, catalogued, lazily loaded `InferenceModel`s, built-in or pulled."""
