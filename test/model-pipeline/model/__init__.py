"""Tests of dllm_train.model (models/train/dllm_train/model)."""
