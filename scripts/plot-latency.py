#!/usr/bin/python3
"""plot-latency.py — draw the lock latency distribution of lw-bench runs.

    scripts/plot-latency.py OUT.png RUN.json [RUN.json ...] [--label NAME ...]

Each RUN.json is the output of `lw-bench --json` (one JSON object; its
"hist" key is a list of [upper bound in ns, count] buckets). The plot has
two panels over a logarithmic latency axis: the share of lock requests per
bucket, and the cumulative share with the p50, p99 and p99.9 of every run
marked. Needs python3-matplotlib (Debian); draws without a display.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path) as f:
        text = f.read()
    # lw-bench prints one object; tolerate log lines before it
    start = text.find("{")
    if start < 0:
        raise ValueError(f"{path}: no JSON object")
    run = json.loads(text[start:])
    hist = [(int(u), int(n)) for u, n in run.get("hist", []) if int(n) > 0]
    if not hist:
        raise ValueError(f"{path}: empty latency histogram")
    return run, hist


def main(argv):
    args, labels = [], []
    it = iter(argv[1:])
    for a in it:
        if a == "--label":
            labels.append(next(it, ""))
        else:
            args.append(a)
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out, paths = args[0], args[1:]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for i, p in enumerate(paths):
        try:
            run, hist = load(p)
        except (OSError, ValueError) as e:
            print(f"plot-latency: {e}", file=sys.stderr)
            return 1
        name = labels[i] if i < len(labels) else p
        total = sum(n for _, n in hist)
        xs = [u / 1e3 for u, _ in hist]
        share = [100.0 * n / total for _, n in hist]
        cum, acc = [], 0
        for _, n in hist:
            acc += n
            cum.append(100.0 * acc / total)
        lat = run.get("lat_ns", {})
        ax1.step(xs, share, where="pre", label=f"{name} ({total:,} locks)")
        ax2.step(xs, cum, where="pre", label=name)
        for q, key in (("p50", "p50"), ("p99", "p99"), ("p99.9", "p999")):
            if key in lat:
                ax2.axvline(lat[key] / 1e3, linestyle=":", linewidth=0.8, color=f"C{i}")
                ax2.annotate(f"{q} {lat[key] / 1e3:.1f} us", (lat[key] / 1e3, 5 + 30 * ("p50", "p99", "p99.9").index(q)),
                             fontsize=7, color=f"C{i}", rotation=90)
    ax1.set_xscale("log")
    ax1.set_ylabel("share of lock requests (%)")
    ax1.set_title("lockwire: lock latency, submission to completion")
    ax1.legend(fontsize=8)
    ax1.grid(True, which="both", alpha=0.3)
    ax2.set_xlabel("latency (us, log scale)")
    ax2.set_ylabel("cumulative share (%)")
    ax2.set_ylim(0, 100.5)
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"plot written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
