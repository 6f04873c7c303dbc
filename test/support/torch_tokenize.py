# Tokenizes with the exported model.py's Tokenizer for pytorch-tokenizer.test.ts: reads
# {"model_py": path, "jobs": [{"pattern": Python pattern, "lowercase": bool, "texts": [...]}]}
# from argv[1] and prints each job's token lists as JSON.
import json
import sys

from load_module import load_module

job = json.load(open(sys.argv[1], encoding="utf-8"))
mod = load_module("exported", job["model_py"])
out = []
for j in job["jobs"]:
    vocab = {"words": ["<pad>", "<unk>"], "labels": [], "tokenizer": {"lowercase": j["lowercase"]}, "maxlen": 1}
    tok = mod.Tokenizer(vocab, j["pattern"])
    out.append([tok.tokens(t) for t in j["texts"]])
print(json.dumps(out, ensure_ascii=True))
