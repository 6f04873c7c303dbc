# Tokenizes with the exported model.py's Tokenizer for pytorch-tokenizer.test.ts: reads
# {"model_py": path, "jobs": [{"pattern": Python pattern, "lowercase": bool, "texts": [...]}]}
# from argv[1] and prints each job's token lists as JSON.
import importlib.util
import json
import sys

job = json.load(open(sys.argv[1], encoding="utf-8"))
spec = importlib.util.spec_from_file_location("exported", job["model_py"])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
out = []
for j in job["jobs"]:
    vocab = {"words": ["<pad>", "<unk>"], "labels": [], "tokenizer": {"lowercase": j["lowercase"]}, "maxlen": 1}
    tok = mod.Tokenizer(vocab, j["pattern"])
    out.append([tok.tokens(t) for t in j["texts"]])
print(json.dumps(out, ensure_ascii=True))
