"""A PyTorch split-contract model as the decoder's forward callable (decode.py `Decoder.run`):
contexts encoded once per request, batched, then each round's canvases denoised in one batch.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:  # decode.py imports this module; this one only names its requests
    from dllm_train.evaluation.decode import Prepared


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class SplitModelForward:
    """Contexts of `prepared` encoded once (batched, right-padded, `key_valid` marking real keys),
    then `__call__(canvas_ids, rows)` denoises the given requests' canvases in one batch.

    A model whose encode_context/denoise take no `key_valid` gets contexts of one length per
    batch (requests grouped by context length)."""

    def __init__(self, model, prepared: list[Prepared], device: torch.device | str, pad_id: int = 0):
        self.model, self.device = model, torch.device(device)
        lengths = [len(p.layout.context_ids) for p in prepared]
        padded_ok = _accepts(model.encode_context, "key_valid") and _accepts(model.denoise, "key_valid")
        if len(set(lengths)) <= 1 or padded_ok:
            groups = [list(range(len(prepared)))]
        else:
            by_len: dict[int, list[int]] = {}
            for r, c in enumerate(lengths):
                by_len.setdefault(c, []).append(r)
            groups = list(by_len.values())
        self.where = {}  # row -> (group, index in group)
        self.groups = []  # (keys, values, key_valid or None)
        with torch.no_grad():
            for g, rows in enumerate(groups):
                c = max(lengths[r] for r in rows)
                ids = torch.full((len(rows), c), pad_id, dtype=torch.long)
                pos = torch.zeros((len(rows), c), dtype=torch.long)
                valid = torch.zeros((len(rows), c), dtype=torch.bool)
                for k, r in enumerate(rows):
                    lay = prepared[r].layout
                    ids[k, :lengths[r]] = torch.tensor(lay.context_ids, dtype=torch.long)
                    pos[k, :lengths[r]] = torch.tensor(lay.context_pos, dtype=torch.long)
                    valid[k, :lengths[r]] = True
                    self.where[r] = (g, k)
                ids, pos, valid = ids.to(self.device), pos.to(self.device), valid.to(self.device)
                key_valid = None if bool(valid.all()) else valid
                if key_valid is None:
                    keys, values = model.encode_context(ids, pos)
                else:
                    keys, values = model.encode_context(ids, pos, key_valid=key_valid)
                self.groups.append((keys, values, key_valid))
        self.canvas_pos = [torch.tensor(p.layout.canvas_pos, dtype=torch.long) for p in prepared]
        self._selected: dict[int, tuple] = {}

    def _select(self, g: int, local: list[int]):
        """The group's K/V for these requests (reused while the running set stays the same)."""
        keys, values, key_valid = self.groups[g]
        cached = self._selected.get(g)
        if cached is not None and cached[0] == local:
            return cached[1]
        if local == list(range(keys.shape[1])):
            sel = (keys, values, key_valid)
        else:
            idx = torch.tensor(local, dtype=torch.long, device=keys.device)
            sel = (keys.index_select(1, idx), values.index_select(1, idx),
                   None if key_valid is None else key_valid.index_select(0, idx))
        self._selected[g] = (local, sel)
        return sel

    def __call__(self, canvas_ids: torch.Tensor, rows: list[int]) -> torch.Tensor:
        by_group: dict[int, list[int]] = {}
        for b, r in enumerate(rows):
            by_group.setdefault(self.where[r][0], []).append(b)
        out = None
        with torch.no_grad():
            for g, batch_idx in by_group.items():
                keys, values, key_valid = self._select(g, [self.where[rows[b]][1] for b in batch_idx])
                ids = canvas_ids[batch_idx].to(self.device)
                pos = torch.stack([self.canvas_pos[rows[b]] for b in batch_idx]).to(self.device)
                if key_valid is None:
                    logits = self.model.denoise(ids, pos, keys, values)
                else:
                    logits = self.model.denoise(ids, pos, keys, values, key_valid=key_valid)
                if len(by_group) == 1:
                    return logits
                if out is None:
                    out = logits.new_empty((len(rows),) + tuple(logits.shape[1:]))
                out[torch.tensor(batch_idx, device=logits.device)] = logits
        assert out is not None, "no rows to denoise"
        return out
