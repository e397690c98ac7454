"""Training batches: fixed-shape rows of packed editor-shaped examples (data.examples), built endlessly in
worker processes, each with its own seed and builder.
"""
from __future__ import annotations

import numpy as np
import torch

from dllm_train.data.encoded import Shard, Vocab
from dllm_train.data.examples import ExampleBuilder, pack_rows
from dllm_train.training.config import TrainConfig


class BatchStream(torch.utils.data.IterableDataset):
    """Endless packed batches; each worker process has its own seed and builder."""

    def __init__(self, data_dir: str, tokenizer: str, tc: TrainConfig, causal: bool, seed: int, progress):
        super().__init__()
        self.data_dir, self.tokenizer, self.tc, self.causal, self.seed = data_dir, tokenizer, tc, causal, seed
        self.progress = progress  # multiprocessing.Value: share of the run done (dense_p schedule)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = 0 if info is None else info.id
        rng = np.random.default_rng([self.seed, wid])
        tc = self.tc
        vocab = Vocab(self.data_dir, self.tokenizer)
        builder = make_builder(self.data_dir, vocab, tc, self.causal, "train")
        while True:
            p = self.progress.value
            dense_p = tc.dense_p_start + (tc.dense_p_end - tc.dense_p_start) * p
            batch = pack_rows(builder, rng, tc.rows, tc.row_len, tc.example_lens, dense_p, vocab.pad)
            yield {k: torch.from_numpy(v) for k, v in batch.items()}


def make_builder(data_dir: str, vocab: Vocab, tc: TrainConfig, causal: bool, split: str,
                 validation: bool = False) -> ExampleBuilder:
    training = split == "train" and not validation
    shard = Shard(data_dir, split, vocab.languages, tc.lang_weights if training else None)
    return ExampleBuilder(shard, vocab, causal, canvas_copies=tc.canvas_copies,
                          suffix_gap_p=tc.suffix_gap_p if training else 0.0,
                          context_lm=tc.context_lm_weight > 0)


def to_device(batch: dict, device: torch.device) -> dict:
    nb = device.type == "cuda"
    return {k: v.to(device, non_blocking=nb) for k, v in batch.items()}
