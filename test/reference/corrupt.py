"""
Adds DELTA to the first element of one tensor of a checkpoint folder, in place, keeping its dtype:
the parity test's proof that it notices a converter that reads one weight wrong.

Usage: corrupt.py CHECKPOINT_DIR TENSOR_NAME [DELTA]
"""
import glob
import os
import sys

from safetensors.torch import load_file, save_file


def main():
    folder, name = sys.argv[1], sys.argv[2]
    delta = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        tensors = load_file(path)
        if name in tensors:
            t = tensors[name]
            flat = t.view(-1)
            flat[0] = flat[0] + delta
            save_file(tensors, path, metadata={"format": "pt"})
            return
    raise SystemExit(f"corrupt: no tensor {name} in {folder}")


if __name__ == "__main__":
    main()
