"""Reading the registry folder as it was at a git revision (``git ls-tree`` + ``cat-file``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["registry_documents_at"]


def registry_documents_at(revision: str, registry_dir: Path) -> dict[str, bytes]:
    """The files of ``registry_dir`` at ``revision`` as {path relative to the folder: bytes}.

    The folder must sit inside a git work tree; its path relative to the repository root
    is looked up at ``revision``. A revision without the folder yields an empty mapping.
    """
    folder = registry_dir.resolve()
    if not folder.is_dir():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"registry folder {registry_dir} does not exist; pass --registry DIR.",
        )
    toplevel = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    prefix = folder.relative_to(toplevel).as_posix()
    strip = "" if prefix == "." else prefix + "/"
    if revision.startswith("-"):
        raise RastupError(ErrorCode.CONFIG_INVALID, f"{revision!r} is not a git revision.")
    try:
        _git(toplevel, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except RastupError as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"git revision {revision!r} not found in {toplevel}; pass a branch, tag or "
            "commit that exists (e.g. origin/main, HEAD~1).",
        ) from exc
    listing = _git(toplevel, "ls-tree", "-r", "-z", "--name-only", revision, "--", prefix)
    names = [name for name in listing.decode().split("\0") if name]
    if not names:
        return {}
    request = "".join(f"{revision}:{name}\n" for name in names).encode()
    output = _git(toplevel, "cat-file", "--batch", stdin=request)
    documents: dict[str, bytes] = {}
    position = 0
    for name in names:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split()
        size = int(header[2])
        start = header_end + 1
        documents[name[len(strip) :]] = output[start : start + size]
        position = start + size + 1
    return documents


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-C", str(cwd), *args],
            input=stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID, "git is not installed; install git to compare revisions."
        ) from exc
    if completed.returncode != 0:
        detail = completed.stderr.decode(errors="replace").strip() or f"exit {completed.returncode}"
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"git {' '.join(args[:2])} failed in {cwd}: {detail}. The registry must be "
            "inside a git work tree to compare revisions.",
        )
    return completed.stdout
