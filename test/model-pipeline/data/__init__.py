"""Tests of dllm_train.data (models/train/dllm_train/data)."""
