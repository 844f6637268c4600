"""How often the doctor is right: every pathology scenario of glassgrad.inspect.scenarios over several
seeds (found = a finding of the expected kind with the expected layer and step), and every healthy
scenario over the same seeds (a false alarm = any error or warning).

    python -m glassgrad.bench.doctor_accuracy [--seeds 5] [--seed-start 0] [--json out.json]

The thresholds were set looking at the healthy runs of seeds 0-2: ``--seed-start 5`` checks unseen ones.
"""
import argparse
import json
import time
import warnings

import glassgrad.inspect as gi
from glassgrad.inspect import scenarios


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="how many seeds per scenario")
    ap.add_argument("--seed-start", type=int, default=0, help="the first seed (default 0)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    rows, t0 = [], time.time()
    print(f"{'pathology':<24} {'found':>5} {'kind only':>9} {'missed':>6}")
    for name in scenarios.PATHOLOGIES:
        found = kind_only = missed = 0
        for seed in seeds:
            out = scenarios.run(name, seed)
            kind, layer, step = out.expect
            hits = [f for f in gi.diagnose(out.monitor) if f.kind == kind]
            if any((f.layer, f.step) == (layer, step) for f in hits):
                found += 1
            elif hits:
                kind_only += 1  # the right kind, but another layer or step
            else:
                missed += 1
        rows.append({"scenario": name, "found": found, "kind_only": kind_only, "missed": missed})
        print(f"{name:<24} {found:>5} {kind_only:>9} {missed:>6}")
    print(f"\n{'healthy run':<24} {'runs':>5} {'errors':>6} {'warnings':>8}  (false alarms)")
    alarms = []
    for name in scenarios.HEALTHY:
        errors = warns = 0
        for seed in seeds:
            out = scenarios.run(name, seed)
            for f in gi.diagnose(out.monitor):
                if f.severity in ("error", "warning"):
                    errors += f.severity == "error"
                    warns += f.severity == "warning"
                    alarms.append({"scenario": name, "seed": seed, "finding": str(f)})
        rows.append({"scenario": name, "runs": len(seeds), "errors": errors, "warnings": warns})
        print(f"{name:<24} {len(seeds):>5} {errors:>6} {warns:>8}")
    for a in alarms:
        print(f"  false alarm in {a['scenario']} seed {a['seed']}: {a['finding']}")
    total = sum(r.get("found", 0) for r in rows)
    runs = len(scenarios.PATHOLOGIES) * len(seeds)
    healthy_runs = len(scenarios.HEALTHY) * len(seeds)
    print(f"\nfound {total}/{runs} pathology runs exactly (kind, layer, step); false alarms: {len(alarms)} findings "
          f"in {len({(a['scenario'], a['seed']) for a in alarms})}/{healthy_runs} healthy runs; {time.time() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "false_alarms": alarms}, f, indent=1)


if __name__ == "__main__":
    main()
