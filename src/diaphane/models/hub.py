"""Model names resolved through the Hugging Face cache, offline.

``resolve_model("gpt2")`` finds the folder transformers would load with
``HF_HUB_OFFLINE=1``, without importing it or touching the network. The cache is
``$HF_HUB_CACHE`` (or the older ``$HUGGINGFACE_HUB_CACHE``), else ``$HF_HOME/hub``,
else ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``. A model
``org/name`` lives in ``models--org--name/``: ``refs/main`` holds the commit hash of
the snapshot to use, and ``snapshots/<hash>/`` holds the files (symlinks into
``blobs/``). Without ``refs/main`` the only, else the newest, snapshot is used.

Only safetensors weights are accepted: a snapshot with nothing but
``pytorch_model.bin`` is refused before any byte of it is read, since unpickling a
file can run code.

Entry points: :func:`resolve_model`, :func:`hub_cache`, :class:`HubModelError`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from diaphane.errors import ModelFileError

__all__ = ["HubModelError", "hub_cache", "is_model_name", "resolve_model"]

# Hugging Face repo ids: "name" or "org/name" of letters, digits, '-', '_', '.'.
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
WEIGHTS, PICKLED, CONFIG = "model.safetensors", "pytorch_model.bin", "config.json"


class HubModelError(ModelFileError):
    """A model name that is not in the Hugging Face cache, or is there without safetensors."""


def hub_cache() -> Path:
    """The Hugging Face hub cache folder, chosen as ``huggingface_hub`` chooses it."""
    cache = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if cache:
        return Path(os.path.expandvars(cache)).expanduser()
    home = os.environ.get("HF_HOME")
    if not home:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
        home = os.path.join(xdg, "huggingface")
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def is_model_name(text: str) -> bool:
    """Whether ``text`` can be a Hugging Face model id (``gpt2``, ``openai-community/gpt2``).

    >>> is_model_name("openai-community/gpt2"), is_model_name("./models/gpt2")
    (True, False)
    """
    return REPO_ID.fullmatch(text) is not None and ".." not in text


def repo_folder(name: str) -> str:
    """The cache folder of a model id, as the hub names it.

    >>> repo_folder("gpt2"), repo_folder("openai-community/gpt2")
    ('models--gpt2', 'models--openai-community--gpt2')
    """
    return "--".join(["models", *name.split("/")])


def _snapshot(repo: Path, name: str) -> Path:
    """``refs/main``'s snapshot, else the only or newest one."""
    snapshots = repo / "snapshots"
    ref = repo / "refs" / "main"
    if ref.is_file():
        chosen = snapshots / ref.read_text(encoding="utf-8").strip()
        if chosen.is_dir():
            return chosen
    found = [p for p in snapshots.iterdir() if p.is_dir()] if snapshots.is_dir() else []
    if not found:
        raise HubModelError(
            f"{repo} holds no snapshot of {name}; download it again where there is a network."
        )
    return max(found, key=lambda p: (p.stat().st_mtime, p.name))


def _check_weights(snapshot: Path, name: str) -> None:
    """Refuse a snapshot without safetensors weights, naming the fix; reads no weights."""
    if (snapshot / WEIGHTS).is_file():
        return
    if (snapshot / PICKLED).exists():
        raise HubModelError(
            f"The cached {name} ({snapshot}) has only {PICKLED}, which diaphane will not "
            f"unpickle (loading a pickle can run code); fetch the safetensors weights with "
            f"`hf download {name} {WEIGHTS} {CONFIG}`, or convert it once with "
            f"transformers (from_pretrained, then save_pretrained(FOLDER, "
            f"safe_serialization=True)) and pass FOLDER."
        )
    raise HubModelError(
        f"The cached {name} ({snapshot}) has no {WEIGHTS}; fetch it with "
        f"`hf download {name} {WEIGHTS} {CONFIG}`."
    )


def resolve_model(name_or_path: str | os.PathLike) -> Path:
    """The folder of a model given as a path or as a Hugging Face model name.

    An existing folder wins; otherwise a name (``gpt2``, ``org/name``) is looked up in
    the Hugging Face cache (see the module docs), offline.

    Args:
        name_or_path: a model folder, or a model id cached by Hugging Face.

    Returns:
        The folder, for a name the cached snapshot's (it holds ``config.json`` and
        ``model.safetensors``).

    Raises:
        HubModelError: no such folder, the name is not cached, or its snapshot has no
            safetensors weights (``pytorch_model.bin`` is never read). One line naming
            where it looked and what to do.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    name = str(name_or_path)
    if not is_model_name(name):
        raise HubModelError(f"No model folder at {name}; check the path.")
    repo = hub_cache() / repo_folder(name)
    if not repo.is_dir():
        raise HubModelError(
            f"No model folder at {name}, and {name} is not in the Hugging Face cache (looked "
            f"for {repo}); pass a model folder, or download it where there is a network "
            f"(`hf download {name}`)."
        )
    snapshot = _snapshot(repo, name)
    _check_weights(snapshot, name)
    return snapshot
