"""Tests of dllm_train.export (models/train/dllm_train/export)."""
