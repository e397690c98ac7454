"""Tests of dllm_train.training (models/train/dllm_train/training)."""
