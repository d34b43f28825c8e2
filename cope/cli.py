"""The `cope` command: run one problem, evaluate a benchmark, manage the bundled models."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from cope.errors import CopeError

DEFAULT_PRICE_AS = "gpt-4o-mini"


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cascade", default="cope",
                   help="preset (cope, small-only, large-only, no-plan-cascade, large-plan) "
                        "or a JSON config file")
    p.add_argument("--small", default="", help="small model (default qwen2.5-coder-0.5b)")
    p.add_argument("--large", default="", help="large model (default qwen2.5-coder-1.5b); "
                   "e.g. openai:gpt-4o-mini")
    p.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint for openai: models")
    p.add_argument("--data-dir", default=None,
                   help="folder for the checkpoint database (default ~/.cache/cope/runs)")
    p.add_argument("--prices", default=None, help="JSON file of USD per 1M tokens to add/override")
    p.add_argument("--price-large-as", default=None,
                   help=f"price a local large model like this API model (default "
                        f"{DEFAULT_PRICE_AS}; 'none' for free)")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage decision")


def _runner(args, check_models: bool = True):
    from cope.graph import CopeContext
    from cope.ledger import PriceTable
    from cope.runner import Runner

    ctx = CopeContext(small=args.small, large=args.large, base_url=args.base_url)
    price_as = {}
    large = ctx.model_name("large")
    choice = args.price_large_as or DEFAULT_PRICE_AS
    if not large.startswith("openai:") and choice.lower() != "none":
        price_as[large] = choice
    prices = PriceTable.load(args.prices, price_as=price_as)
    runner = Runner(args.cascade, ctx, data_dir=args.data_dir, prices=prices)
    if check_models:
        runner.check_models()
    return runner


def _default_out(args, runner) -> Path:
    """results/<benchmark>-<cascade>-<limit>, plus the models when they are not the defaults,
    so a run with another model never overwrites the bundled pair's results."""
    from cope.graph.context import DEFAULT_MODELS

    tags = [re.sub(r"[^A-Za-z0-9_.-]+", "_", runner.context.model_name(role)).strip("_")
            for role in sorted(runner.config.roles())
            if runner.context.model_name(role) != DEFAULT_MODELS.get(role)]
    name = "-".join([args.benchmark, runner.config.name, str(args.limit or "all"), *tags])
    return Path("results") / name


def cmd_run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from cope.tasks import Item

    problem = args.problem if args.problem != "-" else sys.stdin.read()
    if not problem.strip():
        raise CopeError('the problem is empty; usage: cope run "What is 2 + 3?"')
    runner = _runner(args)
    err = Console(stderr=True)
    with err.status("starting", spinner="dots") as status:
        result = runner.solve(Item(id="cli", problem=problem.strip()), args.task,
                              on_step=_progress(err, status))

    table = Table(title="COPE", show_header=False)
    table.add_row("answer", str(result.answer))
    table.add_row("resolved at", result.final_stage)
    for s in result.stages:
        table.add_row(f"consensus {s['stage']}",
                      f"{s['consensus']:.3f} ({'accepted' if s['accepted'] else 'escalated'})")
    for role, t in result.ledger["tokens_by_role"].items():
        table.add_row(f"tokens {role}", f"{t['input']} in / {t['output']} out")
    table.add_row("cost", _cost_text(result.ledger["cost_usd"], runner))
    table.add_row("seconds", f"{result.seconds:.1f}" + (" (from checkpoint)" if result.resumed
                                                        else ""))
    Console().print(table)
    return 0


def _progress(console, status):
    """A line on stderr as each node finishes, and the spinner names what runs next."""
    import time

    last = [time.perf_counter()]

    def on_step(node: str, update: dict) -> None:
        now = time.perf_counter()
        text = f"{node:<28} {now - last[0]:6.1f} s"
        if update.get("stages"):
            record = update["stages"][-1]
            text += (f"  consensus {record['consensus']:.3f} "
                     f"({'accepted' if record['accepted'] else 'escalated'})")
        console.print(text, highlight=False)
        status.update(f"working after {node}")
        last[0] = now

    return on_step


def _cost_text(cost: float, runner) -> str:
    text = f"${cost:.6f}"
    if runner.prices.price_as:
        (model, like), = runner.prices.price_as.items()
        text += f" ({model} priced as {like}, list prices of {runner.prices.as_of})"
    return text


def cmd_eval(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from cope.benchmarks import benchmark_family
    from cope.evaluate import resummarize, run_eval

    benchmark_family(args.benchmark)  # fail fast on an unknown name
    runner = _runner(args, check_models=not args.summary_only)
    out = Path(args.out) if args.out else _default_out(args, runner)
    if args.summary_only:
        summary = resummarize(args.benchmark, runner, out)
    else:
        summary = run_eval(args.benchmark, args.limit, runner, out)

    table = Table(title=f"{args.benchmark} · {summary['cascade']} · {summary['items']} items")
    for col in ("accuracy", "per stage", "large tokens (in/out)", "cost USD", "wall s"):
        table.add_column(col)
    table.add_row(
        f"{summary['accuracy']:.3f}",
        " ".join(f"{k}:{v}" for k, v in summary["resolved_per_stage"].items()),
        f"{summary['large_tokens']['input']}/{summary['large_tokens']['output']}",
        f"{summary['cost_usd']:.6f}",
        f"{summary['wall_seconds']:.0f}",
    )
    Console().print(table)
    print(f"items: {out / 'items.jsonl'}\nsummary: {out / 'summary.json'}")
    return 0


def cmd_models(args) -> int:
    from cope.models import bundled

    names = args.names or (list(bundled.BUNDLED) if args.action != "install"
                           else ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    unknown = [n for n in names if n not in bundled.BUNDLED]
    if unknown:
        raise CopeError(f"unknown bundled model {unknown[0]!r}; choose from "
                        f"{', '.join(bundled.BUNDLED)}")
    bad = []
    for name in names:
        if args.action == "install":
            print(f"{name}: {bundled.install(name, force=args.force)}")
        elif args.action == "verify":  # a full sha256 of each file, every time
            try:
                print(f"{name}: ok {bundled.verified_path(name, rehash=True)}")
            except CopeError as exc:
                print(f"{name}: FAILED {exc}")
                bad.append(name)
        else:
            state = "present" if bundled.model_path(name).is_file() else "not installed"
            print(f"{name:22} {state:14} {bundled.BUNDLED[name].about}")
    if bad:
        raise CopeError(f"{len(bad)} model(s) failed verification; run "
                        f"`cope models install {' '.join(bad)} --force`")
    return 0


def cmd_graph(args) -> int:
    from cope.graph import compile_graph

    print(compile_graph(args.cascade).get_graph(xray=1).draw_mermaid())
    return 0


def build_parser() -> argparse.ArgumentParser:
    from cope.benchmarks.registry import BENCHMARKS

    parser = argparse.ArgumentParser(prog="cope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="solve one problem and show stage, consensus, tokens, cost")
    run.add_argument("problem", help="the problem text ('-' reads standard input)")
    run.add_argument("--task", default="math", choices=["math"],
                     help="task family; code and ALFWorld need tests or a game, so they run "
                          "through `cope eval mbpp|humaneval|alfworld`")
    _add_model_args(run)
    run.set_defaults(func=cmd_run)

    ev = sub.add_parser("eval", help="evaluate a benchmark; writes items.jsonl and summary.json")
    ev.add_argument("benchmark", help=", ".join(BENCHMARKS))
    ev.add_argument("--limit", type=int, default=None,
                    help="N items only: the first N (ALFWorld: in turn across task types)")
    ev.add_argument("--out", default=None, help="output folder (default results/<bench>-...)")
    ev.add_argument("--summary-only", action="store_true",
                    help="rebuild summary.json from the folder's items.jsonl; runs no model")
    _add_model_args(ev)
    ev.set_defaults(func=cmd_eval)

    models = sub.add_parser("models", help="install, verify or list the bundled models")
    models.add_argument("action", choices=["install", "verify", "list"])
    models.add_argument("names", nargs="*",
                        help="bundled model names (default: install the pair; verify and list "
                             "all three)")
    models.add_argument("--force", action="store_true", help="reinstall even if present")
    models.set_defaults(func=cmd_models)

    graph = sub.add_parser("graph", help="print the cascade graph as Mermaid")
    graph.add_argument("--cascade", default="cope", help="preset name or JSON config file")
    graph.set_defaults(func=cmd_graph)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return args.func(args)
    except CopeError as exc:
        print(f"cope: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave: an --out or --data-dir that cannot be used
        print(f"cope: error: {exc}; check the path and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cope: interrupted; run the same command again to resume from the checkpoints",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
