"""Evaluation: the engine's decoder in Python (decode), HumanEval-infilling (evaluate), held-out cross-entropy (heldout)."""
