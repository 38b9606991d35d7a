"""One run of the report: its options, its data, and the models it trains or reuses.

A :class:`ReportRun` is what every section's ``build(run)`` receives. It loads the
corpus once and trains each model the first time a section asks for it
(:meth:`ReportRun.ngram`, :meth:`~ReportRun.nplm`, :meth:`~ReportRun.glove`), or
takes it from the report cache when an earlier run used the same data and
settings; the shipped models (:meth:`~ReportRun.gpt`, :meth:`~ReportRun.sentiment`)
are loaded as they are. Everything it used (fingerprints, settings, seeds, times)
goes into the manifest.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.errors import DataNotFoundError, UsageError
from diaphane.report import cache

__all__ = ["ReportOptions", "ReportRun", "default_corpus", "settings_for"]

log = logging.getLogger(__name__)

EMBEDDED = ("wiki", "lee")  # inside the gensim wheel: always there
OPTIONAL = ("brown",)  # added when its archive is already on this machine


@dataclass
class ReportOptions:
    """What ``diaphane report`` was asked for.

    Attributes:
        corpus: corpus names or paths joined by ``+``; None for the embedded default.
        model: a GPT-2 folder or Hugging Face model name; None for the shipped model.
        sentiment: a sentiment-network folder; None for the shipped one.
        out: the report folder.
        quick: a small run (about a minute), for tests and a first look.
        budget_minutes: the time the training may take in all, roughly.
        seed: every random choice of the run.
        force: replace an ``out`` that is not a diaphane report.
        use_cache: reuse models trained by an earlier run with the same settings.
        progress: progress bars on stderr (None: when stderr is a terminal).
    """

    corpus: str | None = None
    model: str | None = None
    sentiment: str | None = None
    out: Path = Path("report")
    quick: bool = False
    budget_minutes: float = 5.0
    seed: int = 0
    force: bool = False
    use_cache: bool = True
    progress: bool | None = None

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if not (math.isfinite(self.budget_minutes) and self.budget_minutes > 0):
            raise UsageError(
                f"--budget must be a positive number of minutes, not {self.budget_minutes}"
            )


def default_corpus(quick: bool = False) -> str:
    """The embedded corpora, plus Brown when its archive is on this machine (no download);
    a quick run keeps to the embedded ones, so it is the same on every machine."""
    from diaphane.text.fetch import archive_on_disk

    names = list(EMBEDDED)
    if quick:
        return "+".join(names)
    names += [n for n in OPTIONAL if archive_on_disk(n) is not None]
    return "+".join(names)


def settings_for(quick: bool, budget_minutes: float) -> dict:
    """Every model setting of a run; the defaults are the best measured ones (BENCHMARKS.md)."""
    budget = 60.0 * budget_minutes
    return {
        "lm": {
            "min_count": 3,
            "max_vocab": 4000 if quick else 10000,
            "split": "documents 80/10/10",
        },
        "ngram": {"order": 3, "smoothing": "kn"},
        "nplm": {
            "order": 5,
            "dim": 30 if quick else 60,
            "hidden": 50 if quick else 100,
            # measured on wiki+lee in a 90 s budget (test ppl 403 -> 282 against direct
            # connections, lr 1e-3, batch 256); scoring is also 3x cheaper without them
            "direct": False,
            "lr": 3e-3,
            "batch_size": 512,
            "epochs": 20,
            "patience": 2,
            "max_seconds": 6.0 if quick else round(0.3 * budget, 1),
        },
        "glove": {
            "window": 12,
            "min_count": 5,
            "max_vocab": 20000 if quick else None,
            "dim": 50 if quick else 100,
            "epochs": 1 if quick else 2,
            "x_max": 100.0,
            "target": "pmi",
            "init": "svd",
            "svd_oversample": 20 if quick else 100,
        },
    }


@dataclass
class ReportRun:
    """The data and models of one report run; sections read from it.

    Models are trained (or fetched from the cache) the first time they are asked
    for; ``models`` records, for each, where it came from and how long it took.
    """

    options: ReportOptions
    corpus_spec: str = ""
    settings: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.corpus_spec = self.options.corpus or default_corpus(self.options.quick)
        self.settings = settings_for(self.options.quick, self.options.budget_minutes)

    @property
    def quick(self) -> bool:
        return self.options.quick

    @property
    def seed(self) -> int:
        return self.options.seed

    def check_inputs(self) -> None:
        """Load what the user named (each corpus of the spec, ``--model``, ``--sentiment``)
        before any section runs, so a typo or a damaged folder fails at once, in one line,
        rather than minutes in, or as a note inside the article."""
        self.corpus  # noqa: B018 (cached: the sections use it as loaded here)
        if self.options.model:
            self.gpt()
        if self.options.sentiment:
            self.sentiment()

    def status(self, message: str) -> None:
        """A line of progress on stderr (results go into the report, not the terminal)."""
        print(f"diaphane report: {message}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ data

    @cached_property
    def corpus(self) -> dict:
        """The corpus as word sequences: ``{"names", "fingerprints", "documents"}``, where
        each document is a list of lower-cased sentences of words (punctuation dropped)."""
        from diaphane.text import load_corpus
        from diaphane.text.cooccur import _clean

        start = time.perf_counter()
        names, fingerprints, documents = [], {}, []
        for name in self.corpus_spec.split("+"):
            corpus = load_corpus(name)
            names.append(name)
            fingerprints[name] = corpus.fingerprint
            for doc in corpus.documents():
                sents = [s for s in (_clean(s, True, True) for s in doc.sentences) if s]
                if sents:
                    documents.append(sents)
        if not documents:
            raise UsageError(f"corpus {self.corpus_spec} holds no words")
        self.models["corpus"] = {"seconds": round(time.perf_counter() - start, 2)}
        return {"names": names, "fingerprints": fingerprints, "documents": documents}

    @cached_property
    def sentences(self) -> list[list[str]]:
        """Every sentence of the corpus, in order."""
        return [s for doc in self.corpus["documents"] for s in doc]

    @cached_property
    def lm_split(self) -> tuple[Any, Any]:
        """``(split, vocab)`` for the language models: documents shuffled with the seed,
        80/10/10; the vocabulary from the training part (rarer words are ``<unk>``)."""
        from diaphane.text import Vocabulary, split_documents
        from diaphane.text.corpora import Document

        docs = [Document(str(i), d) for i, d in enumerate(self.corpus["documents"])]
        split = split_documents(docs, seed=self.seed)
        s = self.settings["lm"]
        vocab = Vocabulary.build(split.train, min_count=s["min_count"], max_size=s["max_vocab"])
        return split, vocab

    def fingerprint_of(self, what: str) -> dict:
        """What a cached model depends on: the corpus fingerprints, its settings, the seed."""
        return {
            "corpus": self.corpus["fingerprints"],
            "settings": self.settings.get(what),
            "lm": self.settings["lm"] if what in ("ngram", "nplm") else None,
            "seed": self.seed,
        }

    # ------------------------------------------------------------------ models

    def ngram(self) -> Any:
        """Kneser-Ney trigram on the training split (cached)."""
        return self._model("ngram", self._train_ngram, _load_ngram)

    def nplm(self) -> Any:
        """Bengio's neural LM on the training split, trained within the time budget (cached)."""
        return self._model("nplm", self._train_nplm, _load_nplm)

    def glove(self) -> Any:
        """GloVe vectors of the whole corpus at the best measured settings (cached)."""
        return self._model("glove", self._train_glove, _load_glove)

    @cached_property
    def _gpt(self) -> Any:
        from diaphane.models.gpt import default_model_path, load_gpt

        start = time.perf_counter()
        path = Path(self.options.model) if self.options.model else default_model_path()
        model = load_gpt(path)
        self.models["gpt"] = {
            "source": str(path) if self.options.model else "shipped default",
            "seconds": round(time.perf_counter() - start, 2),
            "fingerprint": _folder_fingerprint(path),
        }
        return model

    def gpt(self) -> Any:
        """The GPT to look inside: ``--model``, else the one shipped with diaphane."""
        return self._gpt

    @cached_property
    def _sentiment(self) -> Any:
        from diaphane.models.sentiment import SentimentNetwork, default_sentiment_path

        path = Path(self.options.sentiment) if self.options.sentiment else default_sentiment_path()
        if not (path / "config.json").is_file():
            raise DataNotFoundError(
                f"no sentiment network at {path}; pass --sentiment FOLDER "
                "(from `diaphane train sentiment`)"
            )
        model = SentimentNetwork.load(path)
        source = str(path) if self.options.sentiment else "shipped default"
        self.models["sentiment"] = {"source": source, "fingerprint": _folder_fingerprint(path)}
        return model

    def sentiment(self) -> Any:
        """The sentiment network: ``--sentiment``, else the one shipped with diaphane."""
        return self._sentiment

    def _model(self, kind: str, train: Any, load: Any) -> Any:
        key = self.fingerprint_of(kind)
        attr = f"_{kind}_model"
        if attr in self.__dict__:
            return self.__dict__[attr]
        start = time.perf_counter()
        folder = cache.lookup(kind, key) if self.options.use_cache else None
        model = None
        if folder is not None:
            try:
                model = load(folder)
                self.status(f"{kind}: reusing {folder}")
            except Exception as err:  # a damaged cache entry is retrained, never trusted
                log.warning("cache entry %s does not load (%s); training again", folder, err)
                model = None
        cached = model is not None
        if model is None:
            self.status(f"{kind}: training")
            model = train()
            if self.options.use_cache:
                folder = cache.store(kind, key, model.save)
        self.models[kind] = {
            "cached": cached,
            "seconds": round(time.perf_counter() - start, 2),
            "settings": self.settings.get(kind),
            "fingerprint": _folder_fingerprint(folder),
            **getattr(model, "_report_info", {}),
        }
        self.__dict__[attr] = model
        return model

    def _train_ngram(self) -> Any:
        from diaphane.models.ngram import NgramLM

        split, vocab = self.lm_split
        s = self.settings["ngram"]
        source = {
            "corpus": self.corpus_spec,
            "fingerprints": self.corpus["fingerprints"],
            "split": "train",
        }
        return NgramLM(s["order"], s["smoothing"]).fit(split.train, vocab, source=source)

    def _train_nplm(self) -> Any:
        from diaphane.models.nplm import NPLMConfig, train_nplm
        from diaphane.nn.train import TrainConfig

        split, vocab = self.lm_split
        s = self.settings["nplm"]
        tc = TrainConfig(
            epochs=s["epochs"],
            patience=s["patience"],
            max_seconds=s["max_seconds"],
            progress=self.options.progress,
        )
        model, _ = train_nplm(
            split.train,
            vocab,
            NPLMConfig(s["order"], s["dim"], s["hidden"], s["direct"]),
            valid_sentences=split.valid,
            lr=s["lr"],
            batch_size=s["batch_size"],
            seed=self.seed,
            train_config=tc,
            data_info={"corpus": self.corpus_spec, "fingerprints": self.corpus["fingerprints"]},
        )
        return model

    def _train_glove(self) -> Any:
        from diaphane.models.glove import GloVeConfig, train_glove
        from diaphane.nn.train import TrainConfig
        from diaphane.text.cooccur import cooccurrence_matrix, encode_sequences

        s = self.settings["glove"]
        vocab, ids = encode_sequences(self.sentences, s["min_count"], s["max_vocab"])
        X = cooccurrence_matrix(ids, len(vocab), s["window"])
        config = GloVeConfig(
            dim=s["dim"],
            epochs=s["epochs"],
            x_max=s["x_max"],
            target=s["target"],
            init=s["init"],
            svd_oversample=s["svd_oversample"],
            seed=self.seed,
        )
        info = {
            "training_data": {
                "corpus": self.corpus_spec,
                **s,
                "fingerprints": self.corpus["fingerprints"],
            }
        }
        model, _ = train_glove(
            X, vocab, config, train_config=TrainConfig(progress=self.options.progress), info=info
        )
        return model

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rng(self, salt: int = 0) -> np.random.Generator:
        """A generator seeded by the run's seed (and a section's own ``salt``)."""
        return np.random.default_rng([self.seed, salt])


def _load_ngram(folder: Path) -> Any:
    from diaphane.models.ngram import load_ngram

    return load_ngram(folder)


def _load_nplm(folder: Path) -> Any:
    from diaphane.models.nplm import NPLM

    return NPLM.load(folder)


def _load_glove(folder: Path) -> Any:
    from diaphane.models.glove import GloVe

    return GloVe.load(folder)


def _folder_fingerprint(folder: Path | None) -> dict:
    """sha256 of each file in a model folder (what the manifest records)."""
    from diaphane.text.fetch import sha256_file

    if folder is None or not Path(folder).is_dir():
        return {}
    return {p.name: sha256_file(p) for p in sorted(Path(folder).iterdir()) if p.is_file()}
