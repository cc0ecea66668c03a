"""The code blocks of a Markdown page (the README, a page of docs/), and a runner for a page.

`fenced_blocks` finds every fenced block with the heading it sits under and the
`<!-- docs-test: ... -->` marker right above it, if any. `run_page` runs a page's blocks the
way a reader would, one after the other in one folder, as one session:

- ```python blocks share one interpreter, so a later block uses what an earlier one made;
- ```bash blocks run with `bash -euo pipefail`; what they `export` holds for the blocks after;
  a `pip install "modelreg[...]"` line is not run (the tests run in the dev environment) but
  every extra it names must be one that the `dev` extra brings;
- `<!-- docs-test: file PATH -->` writes the block to PATH (a config, a tokens file, ...);
- `<!-- docs-test: background URL -->` starts a bash block that keeps running (a server), waits
  until URL answers, and stops it with SIGTERM when the page is done.

Any other block, or a block under an unknown marker, fails: every block of a page runs.
The runner itself is `python -m docs_blocks PLAN.json`, so a page runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import traceback
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- docs-test: (file|background) (\S+) -->$")
RUNNABLE = ("python", "bash")


@dataclass(frozen=True)
class Block:
    heading: str
    line: int  # of the block's first line of code, 1-based
    lang: str
    code: str
    marker: str = ""  # "file PATH", "background URL" or ""


def _docs_hook() -> Any:
    """The site's own hook (docs/_hooks/reference.py), whose `include` a page runs through."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hook", ROOT / "docs/_hooks/reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_text(page: Path) -> str:
    """The page as the site shows it: `<!-- generated: include ... -->` markers filled in."""
    text = page.read_text(encoding="utf-8")
    if "<!-- generated: include " not in text:
        return text
    hook = _docs_hook()
    pattern = re.compile(r"^<!-- generated: include (\S+) -->$", re.MULTILINE)
    return pattern.sub(lambda found: hook.include(found.group(1)), text)


def fenced_blocks(page: Path) -> list[Block]:
    """Every fenced block of `page` (includes filled in), in order, with heading and marker."""
    blocks: list[Block] = []
    heading, fence, start, marker, previous = "", "", 0, "", ""
    lines = page_text(page).splitlines()
    for number, line in enumerate(lines, start=1):
        if fence and line.strip() == "```":
            code = "\n".join(lines[start - 1 : number - 1]) + "\n"
            blocks.append(Block(heading, start, fence[3:].strip(), code, marker))
            fence = ""
        elif not fence and line.startswith("```"):
            found = MARKER.match(previous.strip())
            marker = f"{found.group(1)} {found.group(2)}" if found else ""
            fence, start = line.strip(), number + 1
        elif not fence and line.startswith("#"):
            heading = line.lstrip("#").strip()
        previous = line
    return blocks


def dev_extras() -> set[str]:
    """The extras that `pip install -e ".[dev]"` brings, the dev extra included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: set[str] = {"dev"}
    for requirement in project["optional-dependencies"]["dev"]:
        found = re.fullmatch(r"modelreg\[([\w,]+)\]", requirement)
        if found:
            extras.update(found.group(1).split(","))
    return extras


def pip_lines_checked(code: str, where: str) -> str:
    """`code` without its `pip install` lines, each checked to ask only for dev's extras."""
    kept = []
    for line in code.splitlines():
        if not line.lstrip().startswith("pip install"):
            kept.append(line)
            continue
        words = shlex.split(line.split("#")[0])[2:]
        targets = [word for word in words if not word.startswith("-")]
        names = set()
        for target in targets:
            found = re.fullmatch(r"(?:modelreg|\.)(?:\[([\w,]+)\])?", target)
            assert found, f"{where}: a pip line that installs something other than modelreg: {line}"
            names.update((found.group(1) or "").split(",") if found.group(1) else [])
        assert names <= dev_extras(), f"{where}: extras {names - dev_extras()} are not in dev"
    return "\n".join(kept) + "\n"


def check_runnable(page: Path, blocks: list[Block]) -> None:
    """Every block is one the runner can run or write: no block of a page goes untested."""
    for block in blocks:
        kind = block.marker.split(" ")[0]
        where = f"{page.name} line {block.line}"
        assert kind == "file" or block.lang in RUNNABLE, f"{where}: no way to run ```{block.lang}"
        assert kind != "background" or block.lang == "bash", f"{where}: background is for bash"


def plan(page: Path, substitutes: dict[str, str]) -> list[dict[str, Any]]:
    """The page's blocks, each placeholder address replaced by the test's (each must appear)."""
    blocks = fenced_blocks(page)
    check_runnable(page, blocks)
    text = page_text(page)
    for placeholder in substitutes:
        assert placeholder in text, f"{page.name} no longer mentions {placeholder}"
    steps = []
    for block in blocks:
        code, marker = block.code, block.marker
        for placeholder, real in substitutes.items():
            code, marker = code.replace(placeholder, real), marker.replace(placeholder, real)
        if block.lang == "bash" and not marker.startswith("file"):
            code = pip_lines_checked(code, f"{page.name} line {block.line}")
        steps.append({**asdict(block), "code": code, "marker": marker, "page": page.name})
    return steps


def run_page(
    page: Path,
    cwd: Path,
    substitutes: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run every block of `page` in `cwd`, in a fresh interpreter; fail with the block's line."""
    plan_file = cwd / ".docs-plan.json"
    plan_file.write_text(json.dumps(plan(page, substitutes or {})), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    bin_dir = str(Path(sys.executable).parent)
    tests = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-m", "docs_blocks", str(plan_file)],
        cwd=cwd,
        env={
            **clean,
            "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}",
            "PYTHONPATH": tests,
            "NO_COLOR": "1",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{page.name}:\n{done.stdout}{done.stderr}"
    return done


# --- the runner, in the page's own interpreter ------------------------------------------------


def _bash(code: str, env_file: Path) -> None:
    """One bash block; the environment it leaves is read back for the blocks after it."""
    script = f"{code}\nenv -0 > {shlex.quote(str(env_file))}\n"
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=True)
    pairs = env_file.read_bytes().split(b"\0")
    os.environ.clear()
    os.environ.update(dict(p.decode().split("=", 1) for p in pairs if b"=" in p))


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Until `url` answers at all: a liveness probe, so a certificate is not judged here."""
    import ssl

    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the background block exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2, context=unverified):
                return
        except urllib.error.HTTPError:
            return  # it answers: an error status is still an answer
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _main(plan_path: str) -> int:
    steps = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    background: list[subprocess.Popen[bytes]] = []
    env_file = Path(plan_path).with_suffix(".env")
    try:
        for step in steps:
            where = f"{step['page']} line {step['line']} (under {step['heading']!r})"
            print(f"--- {where}", flush=True)
            kind, _, argument = step["marker"].partition(" ")
            try:
                if kind == "file":
                    Path(argument).parent.mkdir(parents=True, exist_ok=True)
                    Path(argument).write_text(step["code"], encoding="utf-8")
                elif kind == "background":
                    process = subprocess.Popen(
                        ["bash", "-euo", "pipefail", "-c", step["code"]],
                        start_new_session=True,
                    )
                    background.append(process)
                    _wait_for(argument, process)
                elif step["lang"] == "bash":
                    _bash(step["code"], env_file)
                else:
                    exec(compile(step["code"], where, "exec"), namespace)
            except BaseException:
                print(f"FAILED: {where}", file=sys.stderr)
                traceback.print_exc()
                return 1
    finally:
        for process in background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
