"""Model: the transformer (model) and the request layout it is trained and served with (layout)."""
