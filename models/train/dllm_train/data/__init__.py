"""Data: the code corpus (corpus), token shards (encode, shards) and the editor-shaped training examples (examples)."""
