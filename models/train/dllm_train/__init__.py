"""The training pipeline of the bundled model, one subpackage per stage.

Run a stage as a module from models/train (the working directory is then on the import path; nothing
is installed): `python3 -m dllm_train.<stage>.<module> ...`, e.g. `python3 -m dllm_train.training.train
--config configs/smoke.json`. models/train/README.md maps the stages and their commands.
"""
