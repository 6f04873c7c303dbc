# Runs parts of an exported train.py for pytorch-train-parts.test.ts: reads
# {"train_py": path, "tables": [path, ...], "stopping": [{"losses": [...], "epochs": n, "patience": p}, ...]}
# from argv[1]; prints, as JSON, read_table's examples and skipped count for each table, and the
# early-stopping decisions along each sequence of validation losses (null: no validation).
import json
import math
import sys

from load_module import load_module

job = json.load(open(sys.argv[1], encoding="utf-8"))
train = load_module("train", job["train_py"])
tables = []
for path in job["tables"]:
    examples, skipped = train.read_table(path, None, None)
    tables.append({"examples": [{"text": t, "label": label} for t, label in examples], "skipped": skipped})
stopping = []
for case in job["stopping"]:
    best, wait, out = math.inf, 0, []
    for epoch, loss in enumerate(case["losses"], start=1):
        improved, best, wait, stop = train.early_stopping(best, wait, float("nan") if loss == "NaN" else loss, epoch, case["epochs"], case["patience"])
        out.append({"improved": improved, "stop": stop})
        if stop:
            break
    stopping.append(out)
print(json.dumps({"tables": tables, "stopping": stopping}, ensure_ascii=True))
