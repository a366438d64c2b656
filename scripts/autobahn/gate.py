#!/usr/bin/env python3
"""Pass/fail gate over an Autobahn|Testsuite report index (wstest or kosoku `index.json`).

    gate.py INDEX.json [--label TEXT] [--expect N] [--allow-unimplemented PREFIX ...]

A case passes when its behaviour is OK, NON-STRICT or INFORMATIONAL and its close behaviour
is OK or INFORMATIONAL. UNIMPLEMENTED passes only for the listed case prefixes. Prints one
`FAIL` line per failing case, a tally of the verdicts, then `LABEL: N passed, N failed`.
Exits 1 on any failure, or when the report does not hold exactly `--expect` cases (a run
that silently skipped cases must not pass).
"""

import argparse
import collections
import json
import sys

PASS_BEHAVIOR = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASS_CLOSE = {"OK", "INFORMATIONAL"}


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index")
    parser.add_argument("--label", default="autobahn")
    parser.add_argument("--expect", type=int, help="exact number of cases the report must hold")
    parser.add_argument("--allow-unimplemented", nargs="*", default=[], metavar="PREFIX")
    args = parser.parse_args()

    with open(args.index) as f:
        index = json.load(f)
    allow = tuple(args.allow_unimplemented)
    total, bad = 0, 0
    tally = collections.Counter()
    lenient = collections.defaultdict(list)  # passing verdicts other than OK, by verdict
    for agent, cases in sorted(index.items()):
        for case_id, result in sorted(cases.items(), key=lambda kv: case_key(kv[0])):
            total += 1
            behavior, close = result.get("behavior"), result.get("behaviorClose")
            tally[behavior] += 1
            if behavior == "UNIMPLEMENTED" and allow and case_id.startswith(allow):
                continue
            if behavior not in PASS_BEHAVIOR or close not in PASS_CLOSE:
                bad += 1
                print(
                    f"FAIL {agent} {case_id}: behavior={behavior} close={close} "
                    f"remoteCloseCode={result.get('remoteCloseCode')} report={result.get('reportfile')}"
                )
            elif behavior != "OK":
                lenient[behavior].append(case_id)
    print(f"{args.label} verdicts: " + ", ".join(f"{n} {v}" for v, n in sorted(tally.items())))
    for verdict, ids in sorted(lenient.items()):
        print(f"{args.label} {verdict} (passes): {' '.join(ids)}")
    if args.expect is not None and total != args.expect:
        print(f"{args.label}: expected {args.expect} cases in {args.index}, found {total}")
        bad += abs(args.expect - total)  # missing (or unexpected) cases count as failed
        total = max(total, args.expect)
    print(f"{args.label}: {total - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
