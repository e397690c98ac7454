"""evaluate.py, run.py and corpus.py find the evaluation data inside the repository by default."""
import json
import os
import subprocess
import sys
import unittest

from dllm_train.paths import REPO, TRAIN_DIR, module_env

EVAL_DIR = os.path.join(REPO, "eval", "humaneval-infilling")

# A fresh interpreter: the defaults are read at import, from the environment of that moment.
DEFAULTS = """
import json, sys
sys.argv = ["x"]
from dllm_train.data import decontamination
from dllm_train.evaluation import evaluate
from dllm_train.gpu_run import run
print(json.dumps({"corpus": decontamination.HUMANEVAL_DIR, "evaluate": evaluate.HUMANEVAL_DIR,
                  "run": run.HUMANEVAL_DIR}))
"""


def defaults(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", DEFAULTS], cwd=TRAIN_DIR, env=module_env(env), capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


class DefaultEvalData(unittest.TestCase):
    def test_default_is_the_repository_copy(self):
        env = {k: v for k, v in os.environ.items() if k != "DLLM_EVAL_DIR"}
        for who, folder in defaults(env).items():
            self.assertEqual(os.path.realpath(folder), os.path.realpath(EVAL_DIR), who)

    def test_dllm_eval_dir_points_elsewhere(self):
        env = {**os.environ, "DLLM_EVAL_DIR": "/elsewhere/he"}
        self.assertEqual(set(defaults(env).values()), {"/elsewhere/he"})

    def test_the_repository_holds_every_file_the_pipeline_reads(self):
        # run.py pack copies these five; evaluate.py reads the three subsets.
        from dllm_train.evaluation import evaluate as E
        for name in [f"{s}.jsonl.gz" for s in E.SUBSETS] + ["entry-points-all.txt"]:
            self.assertTrue(os.path.isfile(os.path.join(EVAL_DIR, name)), name)
        tasks = E.load_tasks(EVAL_DIR, "SingleLine", 0)
        self.assertEqual(len(tasks), 457)
        self.assertTrue(all(int(t["task_id"].split("/")[2]) % 2 == 0 for t in tasks))


if __name__ == "__main__":
    unittest.main()
