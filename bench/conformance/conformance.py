#!/usr/bin/env python3
"""Conformance: does fundledger read the journals hledger reads, with the same balances?

Usage:
    bench/conformance/conformance.py --ledger-repo PATH --hledger-repo PATH \
        [--fundledger target/release/fundledger] [--work DIR] [--jobs 2] \
        [--failures FILE]

PATH is a clone of github.com/ledger/ledger or github.com/simonmichael/hledger
(a work tree or a bare git directory; HEAD is read with `git`). Nothing is
copied into this repository: the journals are extracted to --work (default: a
fresh directory under the system temp dir), namely

  * ledger-cli: every file of test/input, and the journal part (the lines
    before the first `test ` line) of each test/regress/*.test and
    test/baseline/*.test;
  * hledger: the journal files of examples/ (.journal .j .ledger .hledger
    .dat) and the standard-input blocks of its shelltests (`<` ... `$ cmd` and
    `<<<` ... `>>>`) whose command reads a journal from `-f -`.

For each journal J it runs `hledger -f J bal --flat -N -O json` (exact
quantities, whatever the display style; with `--auto` when J has an
automated transaction) and, when hledger reads
it, `fundledger -f J balance -O csv` (same `--auto`). The balances are
compared per account and commodity, as exact decimals, zero rows and
fundledger's generated conversion and rounding accounts dropped. It prints a Markdown table:
for each grammar feature (detected in the text of the journal), how many
journals hledger reads that have it, how many of those fundledger reads, and
how many give identical balances; then the overall percentages and the most
frequent error codes fundledger gave for the journals it refused.
"""
import argparse
import collections
import concurrent.futures
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal, InvalidOperation

JOURNAL_EXTENSIONS = (".journal", ".j", ".ledger", ".hledger", ".dat")

# (name, pattern): a journal "has" the feature when the pattern matches its text.
FEATURES = [
    ("amounts with no commodity", r"(?m)^[ \t]+[^;\s].*?\S(?:\t| {2,})\s*[-+]?\d[\d,.]*\s*(?:;.*)?$"),
    ("month/day not zero-padded", r"(?m)^(?:P\s+)?\d{4}[-/.](?:\d(?!\d)|\d\d[-/.]\d(?!\d))"),
    ("commodity directive", r"(?m)^commodity\s"),
    ("periodic transactions ~", r"(?m)^~"),
    ("automated transactions =", r"(?m)^=\s*\S"),
    ("implicit conversion (two commodities, no @)", None),
    ("balance assignment ACCOUNT = AMOUNT", r"(?m)^[ \t]+\S.*?(?:\t| {2,})=\s*[^=\s]"),
    ("account directive", r"(?m)^account\s"),
    ("lot annotations {} [] ()", r"(?m)\{[^}\n]*\}|^[ \t]+\S.*\d.*\[\d{4}[-/]"),
    ("D default commodity", r"(?m)^D\s"),
    ("decimal comma / decimal-mark", r"(?m)^decimal-mark|\d\.\d{3},\d|(?<![\d.,])\d+,\d{1,2}(?![\d,])\s*[^\d\s;,]"),
    ("dates without year, Y/year", r"(?m)^(?:\d{1,2}[-/.]\d{1,2}\s|Y\s*\d|year\s)"),
    ("alias, apply account, apply tag, bucket/A", r"(?m)^(?:alias\s|apply\s|bucket\s|A\s|end\s)"),
    ("timeclock i/o", r"(?m)^[iIoO]\s+\d{4}"),
    ("--option lines, C, value expressions", r"(?m)^(?:--\w|C\s)|\(\s*[\d$].*[*/]"),
    ("==, =* assertions", r"(?m)^[ \t]+\S.*(?:==|=\*)"),
    ("typed metadata Key::", r"(?m);.*\w::"),
    ("virtual postings () []", r"(?m)^[ \t]+[!*]?\s*[(\[]"),
    ("@ / @@ prices", r"@"),
    ("P price directives", r"(?m)^P\s"),
    ("include", r"(?m)^include\s"),
]

AMOUNT_RE = re.compile(r"(?:\t| {2,})(-?\s*\$?\s*[-\d][\d,.]*\s*[A-Za-z$€£¥\"]*)")


def git(repo, *args):
    """Runs git on a work tree or a bare git directory."""
    gitdir = os.path.join(repo, ".git") if os.path.isdir(os.path.join(repo, ".git")) else repo
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True,
                          capture_output=True).stdout


def repo_files(repo, prefix):
    names = git(repo, "ls-tree", "-r", "--name-only", "HEAD", "--", prefix).decode()
    return [n for n in names.splitlines() if n]


def read_blobs(repo, names):
    """Reads many files at HEAD with one `git cat-file --batch`."""
    gitdir = os.path.join(repo, ".git") if os.path.isdir(os.path.join(repo, ".git")) else repo
    request = "".join(f"HEAD:{n}\n" for n in names).encode()
    out = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "--batch"], input=request,
                         check=True, capture_output=True).stdout
    blobs, pos = {}, 0
    for name in names:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        blobs[name] = out[pos:pos + size]
        pos += size + 1
    return blobs


def ledger_journals(repo):
    names = repo_files(repo, "test/input") + [
        n for n in repo_files(repo, "test/regress") + repo_files(repo, "test/baseline")
        if n.endswith(".test")]
    for name, blob in read_blobs(repo, names).items():
        if name.startswith("test/input/"):
            yield "ledger:" + name, blob
            continue
        lines = blob.split(b"\n")
        cut = next((i for i, l in enumerate(lines) if l.startswith(b"test ")), len(lines))
        journal = b"\n".join(lines[:cut]) + b"\n"
        if journal.strip():
            yield "ledger:" + name, journal


def reads_journal_from_stdin(command):
    return (re.search(r"-f\s*-(\s|$)|-f\s*/dev/stdin|--file=-", command) is not None
            and not re.search(r"(csv|timedot|timeclock|ledger|journal):-|--rules", command))


def shelltest_inputs(text):
    """The standard-input blocks of a shelltest file, each with the commands using it."""
    lines = text.split("\n")
    i = 0
    blocks = []
    while i < len(lines):
        line = lines[i]
        if line == "<":
            j = i + 1
            while j < len(lines) and not lines[j].startswith("$ ") and lines[j] != "<":
                j += 1
            commands = []
            k = j
            while k < len(lines) and lines[k] != "<":
                if lines[k].startswith("$ "):
                    commands.append(lines[k])
                k += 1
            blocks.append(("\n".join(lines[i + 1:j]) + "\n", commands))
            i = j
        elif line == "<<<":
            j = i + 1
            while j < len(lines) and lines[j] not in (">>>", ">>>2", ">>>="):
                j += 1
            back = i - 1
            while back >= 0 and not lines[back].strip():
                back -= 1
            command = lines[back] if back >= 0 else ""
            blocks.append(("\n".join(lines[i + 1:j]) + "\n", [command]))
            i = j
        else:
            i += 1
    return blocks


def hledger_journals(repo):
    examples = [n for n in repo_files(repo, "examples") if n.endswith(JOURNAL_EXTENSIONS)]
    for name, blob in read_blobs(repo, examples).items():
        yield "hledger:" + name, blob
    tests = [n for n in repo_files(repo, "hledger/test") if n.endswith(".test")]
    for name, blob in read_blobs(repo, tests).items():
        for number, (journal, commands) in enumerate(
                shelltest_inputs(blob.decode("utf-8", "replace")), start=1):
            if journal.strip() and any(reads_journal_from_stdin(c) for c in commands):
                yield f"hledger:{name}#{number}", journal.encode()


def run(argv, cwd, timeout=20):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return 124, "", "timeout"


def decimal(text):
    text = text.strip().replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def commodity_key(symbol):
    symbol = symbol.strip().strip('"')
    return symbol


def hledger_balances(text):
    """hledger's `bal -O json` rows: exact quantities (mantissa and scale),
    whatever the display style (decimal comma, digit groups) of each commodity."""
    try:
        report = json.loads(text)
        rows = report[0]
    except (ValueError, IndexError, TypeError):
        return None
    balances = {}
    for row in rows:
        account, amounts = row[0], row[3]
        for amount in amounts:
            q = amount["aquantity"]
            value = Decimal(q["decimalMantissa"]).scaleb(-q["decimalPlaces"])
            key = (account, commodity_key(amount["acommodity"]))
            balances[key] = balances.get(key, Decimal(0)) + value
    return {k: v for k, v in balances.items() if v != 0}


GENERATED_ACCOUNTS = ("NetAssets:Conversion", "NetAssets:Rounding")


def fundledger_balances(text):
    """fundledger's `balance -O csv` rows: each account's own balance per commodity.

    The generated conversion and rounding accounts have no counterpart in
    hledger's report (hledger leaves a conversion unbalanced per commodity and
    a residual unposted), so they are left out of the comparison.
    """
    rows = list(csv.reader(io.StringIO(text)))
    balances = {}
    for row in rows[1:]:
        if len(row) != 3 or row[0] in GENERATED_ACCOUNTS:
            continue
        value = decimal(row[2])
        if value is None:
            return None
        key = (row[0], commodity_key(row[1]))
        balances[key] = balances.get(key, Decimal(0)) + value
    return {k: v for k, v in balances.items() if v != 0}


def implicit_conversion(text):
    """A transaction with amounts in two commodities and no price."""
    for block in re.split(r"\n\s*\n|\n(?=\S)", text):
        if "@" in block or not re.match(r"\d", block):
            continue
        commodities = set()
        for line in block.split("\n")[1:]:
            line = line.split(";")[0]
            m = re.search(r"(?:\t| {2,})(.*\d.*)$", line)
            if m:
                symbol = re.sub(r"[-\d.,\s=]", "", m.group(1))
                commodities.add(symbol)
        if len(commodities) >= 2:
            return True
    return False


def features_of(text):
    found = []
    for name, pattern in FEATURES:
        if pattern is None:
            if implicit_conversion(text):
                found.append(name)
        elif re.search(pattern, text):
            found.append(name)
    return found


ERROR_RE = re.compile(r"(?:error|warning)\[(E\d+)\]: ([^\n]*)")


def measure(item, fundledger, workdir):
    name, blob, path = item
    text = blob.decode("utf-8", "replace")
    auto = ["--auto"] if re.search(r"(?m)^=\s*\S", text) else []
    result = {"name": name, "path": path, "features": features_of(text)}
    code, out, _ = run(["hledger", "-f", path, "bal", "--flat", "-N", "-O", "json", *auto],
                       workdir)
    result["hledger"] = code == 0 and hledger_balances(out) is not None
    if not result["hledger"]:
        return result
    expected = hledger_balances(out)
    code, out, err = run([fundledger, "-f", path, "balance", "-O", "csv", *auto], workdir)
    result["reads"] = code == 0
    result["crashed"] = code not in (0, 1, 2)
    if code != 0:
        m = ERROR_RE.search(err)
        result["error"] = (m.group(1) + " " + re.sub(r"`[^`]*`|'[^']*'|\d+", "…", m.group(2))[:70]
                           if m else (err.strip().splitlines() or ["exit %d" % code])[-1][:80])
        result["error_full"] = err[:2000]
        return result
    got = fundledger_balances(out)
    result["same"] = got == expected
    if not result["same"]:
        result["diff"] = (sorted(set(expected.items()) - set((got or {}).items()))[:6],
                          sorted(set((got or {}).items()) - set(expected.items()))[:6])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger-repo", required=True)
    parser.add_argument("--hledger-repo", required=True)
    parser.add_argument("--fundledger", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "release", "fundledger"))
    parser.add_argument("--work", help="where to extract the journals (default: a temp dir)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--failures", help="write each refused or differing journal here")
    args = parser.parse_args()
    fundledger = os.path.abspath(args.fundledger)
    workdir = args.work or tempfile.mkdtemp(prefix="fundledger-conformance-")
    os.makedirs(workdir, exist_ok=True)

    items = []
    for number, (name, blob) in enumerate(
            list(ledger_journals(args.ledger_repo)) + list(hledger_journals(args.hledger_repo))):
        path = os.path.join(workdir, "%05d.journal" % number)
        with open(path, "wb") as f:
            f.write(blob)
        items.append((name, blob, path))

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda it: measure(it, fundledger, workdir), items))

    readable = [r for r in results if r["hledger"]]
    read = [r for r in readable if r.get("reads")]
    same = [r for r in read if r.get("same")]

    def pct(a, b):
        return "%.0f%%" % (100.0 * a / b) if b else "-"

    print(f"Journals extracted: {len(results)} (ledger-cli: "
          f"{sum(r['name'].startswith('ledger:') for r in results)}, hledger: "
          f"{sum(r['name'].startswith('hledger:') for r in results)}); "
          f"hledger 1.25 reads {len(readable)}.\n")
    print("| feature | journals hledger reads | fundledger reads | same balances |")
    print("|---|---:|---:|---:|")
    for name, _ in FEATURES:
        with_feature = [r for r in readable if name in r["features"]]
        ok = [r for r in with_feature if r.get("reads")]
        eq = [r for r in ok if r.get("same")]
        print(f"| {name} | {len(with_feature)} | {len(ok)} ({pct(len(ok), len(with_feature))}) "
              f"| {len(eq)} ({pct(len(eq), len(ok))}) |")
    print(f"| **all** | **{len(readable)}** | **{len(read)} ({pct(len(read), len(readable))})** "
          f"| **{len(same)} ({pct(len(same), len(read))})** |")
    print(f"\nRead with hledger's balances: {len(same)} of {len(readable)} "
          f"({pct(len(same), len(readable))}).\n")
    crashed = [r["name"] for r in readable if r.get("crashed")]
    print(f"fundledger panicked, was killed or timed out (20 s) on {len(crashed)} journal(s)"
          + (": " + ", ".join(crashed[:10]) if crashed else "") + ".\n")
    errors = collections.Counter(r["error"] for r in readable if "error" in r)
    print("| fundledger's first error on refused journals | journals |")
    print("|---|---:|")
    for error, count in errors.most_common(25):
        print(f"| {error.replace('|', '/')} | {count} |")
    if args.failures:
        with open(args.failures, "w") as f:
            for r in readable:
                if not r.get("same"):
                    f.write(f"== {r['name']} {r['path']} {r['features']}\n")
                    if "error" in r:
                        f.write(r.get("error_full", r["error"]) + "\n")
                    else:
                        f.write(f"hledger only: {r['diff'][0]}\nfundledger only: {r['diff'][1]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
