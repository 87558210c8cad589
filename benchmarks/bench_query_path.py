#!/usr/bin/env python3
"""The query path before and after the latency work, interleaved per question in one run (ratios survive a busy
machine; absolute times do not): before = the query embedded on torch's default threads and the query-vector
products through BLAS; after = `SearchEngine.embed_query` (one torch thread) and einsum products.

    python benchmarks/bench_query_path.py [--out DIR]

Uses the transcript indexes qa_eval.py / qa_tune.py left under --out (one lecture = the first, 40 lectures = the
indexes at hand repeated) and the QMSum questions.
"""
import argparse, sys, json, time, statistics, os, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
import qa_eval
import lecture_notes.search.engine as eng_mod
from lecture_notes.search.course import default_embedder
from lecture_notes.search.engine import SearchEngine
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ln-qa-eval")
out = ap.parse_args().out
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
emb = default_embedder()
sets = sorted(p for p in qa_eval.QA.iterdir() if (p / "queries.json").is_file() and (out / "index" / p.name / "search" / "index.json").is_file())
lecs = [qa_eval.load_set_index(s, out, emb, False) for s in sets]
print(len(lecs), "indexes available:", [s.name[:12] for s in sets])
lecs40 = (lecs * 40)[:40]
qs = [q["q"] for s in sets if s.name.startswith("qmsum") for q in json.loads((s / "queries.json").read_text())][:60]
einsum = eng_mod._matvec
blas = lambda m, v: (m @ v) if len(m) else np.zeros(0, np.float32)
def pct(x, p): x = sorted(x); return x[min(len(x) - 1, int(round(p / 100 * (len(x) - 1))))]
emb.embed(["warm up"])
for name, L in (("one lecture", [lecs[0]]), ("40 lectures", lecs40)):
    e = SearchEngine(L, emb)
    for q in qs[:3]: e.search(q)
    res = {k: [] for k in ("embed_before", "embed_after", "rank_before", "rank_after")}
    for q in qs:
        for side in ("before", "after"):
            emb._cache.clear()
            t0 = time.perf_counter()
            qv = np.asarray(emb.embed([q])[0], np.float32) if side == "before" else e.embed_query(q)
            res["embed_" + side].append(1000 * (time.perf_counter() - t0))
            eng_mod._matvec = blas if side == "before" else einsum
            e._cos_key = None
            t0 = time.perf_counter(); e.search(q, k=5, qv=qv); res["rank_" + side].append(1000 * (time.perf_counter() - t0))
    eng_mod._matvec = einsum
    tot_b = [a + b for a, b in zip(res["embed_before"], res["rank_before"])]
    tot_a = [a + b for a, b in zip(res["embed_after"], res["rank_after"])]
    units = sum(len(x.units) for x in L)
    print(f"{name} ({units} units, {len(e.sent_vecs)} sentences), load {os.getloadavg()[0]:.1f}:")
    for k, v in list(res.items()) + [("total_before", tot_b), ("total_after", tot_a)]:
        print(f"  {k:<13} median {statistics.median(v):7.1f} ms  p95 {pct(v, 95):7.1f} ms")
    print(f"  ratio before/after: total median {statistics.median(tot_b) / statistics.median(tot_a):.2f}x, p95 {pct(tot_b, 95) / pct(tot_a, 95):.2f}x; "
          f"ranking median {statistics.median(res['rank_before']) / statistics.median(res['rank_after']):.2f}x", flush=True)
