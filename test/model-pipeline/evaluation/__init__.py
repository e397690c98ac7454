"""Tests of dllm_train.evaluation (models/train/dllm_train/evaluation)."""
