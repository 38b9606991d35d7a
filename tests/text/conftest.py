"""Fixtures for the text tests."""

import pytest


@pytest.fixture(scope="session")
def replayed_corpora():
    """Wiki and Brown parsed once for the session, their documents replayed after that.

    Parsing them (gensim's wiki markup filter, Brown's tagged files) takes seconds and is
    the same code on every counting path, so the tests that compare paths on the real
    corpora share one parse. The corpora keep their sources, hence their fingerprints.
    """
    from diaphane.text import corpora

    patch = pytest.MonkeyPatch()
    for name in ("wiki", "brown"):
        patch.setitem(corpora.CORPORA, name, _replaying(corpora, corpora.CORPORA[name]))
    yield
    patch.undo()


def _replaying(corpora, make):
    docs: list = []

    def replay(tokenizer=None):
        corpus = make(tokenizer)  # finds the archive: a missing one still skips the test
        if tokenizer is not None:
            return corpus
        if not docs:
            docs.extend(corpus.documents())
        return corpora.Corpus(corpus.name, corpus.sources, lambda: iter(docs))

    return replay
