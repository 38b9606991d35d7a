"""The rule tables: reverse-mode (VJP) and forward-mode (JVP) rules per primitive, kept as
data and filled by one-line ``defvjp``/``defjvp`` calls grouped by family in
:mod:`diaphane.numpy`."""

from __future__ import annotations

from collections.abc import Callable

from diaphane.autodiff.errors import DiaphaneError

__all__ = [
    "BATCHABLE_JVP",
    "BATCHABLE_VJP",
    "JVPS",
    "JVP_ALL",
    "NONDIFF",
    "VJPS",
    "VJP_ALL",
    "defjvp",
    "defjvp_all",
    "defjvp_is_linear",
    "defvjp",
    "defvjp_all",
    "missing_rule",
]

VJPS: dict[Callable, tuple] = {}  # prim -> tuple of per-argument rules g, ans, *args -> grad
VJP_ALL: dict[Callable, Callable] = {}  # prim -> rule(argnums, g, ans, *args) -> grads
JVPS: dict[Callable, tuple] = {}  # prim -> tuple of per-argument rules t, ans, *args -> tangent
JVP_ALL: dict[Callable, Callable] = {}  # prim -> rule(argnums, tangents, ans, *args) -> tangent
BATCHABLE_VJP: set[Callable] = set()  # VJP rules that accept a leading batch axis on g
BATCHABLE_JVP: set[Callable] = set()  # JVP rules that accept a leading batch axis on t
NONDIFF: set[str] = set()  # names deliberately without gradients


def defvjp(prim: Callable, *rules: Callable | None, batchable: bool = False) -> None:
    """Register reverse-mode rules ``rule(g, ans, *args, **kwargs) -> grad`` per argument.

    Pass ``None`` for an argument that has no gradient.
    """
    VJPS[prim] = rules
    if batchable:
        BATCHABLE_VJP.add(prim)


def defvjp_all(prim: Callable, rule: Callable, batchable: bool = False) -> None:
    """Register one rule ``rule(argnums, g, ans, *args, **kwargs) -> grads`` for all arguments.

    Use it when the gradients share work (a re-run forward pass, a factorisation).
    """
    VJP_ALL[prim] = rule
    if batchable:
        BATCHABLE_VJP.add(prim)


def defjvp(prim: Callable, *rules: Callable | None, batchable: bool = False) -> None:
    """Register forward-mode rules ``rule(t, ans, *args, **kwargs) -> tangent`` per argument."""
    JVPS[prim] = rules
    if batchable:
        BATCHABLE_JVP.add(prim)


def defjvp_all(prim: Callable, rule: Callable, batchable: bool = False) -> None:
    """Register one rule ``rule(argnums, tangents, ans, *args, **kwargs) -> tangent``."""
    JVP_ALL[prim] = rule
    if batchable:
        BATCHABLE_JVP.add(prim)


def defjvp_is_linear(prim: Callable, nargs: int = 1, batchable: bool = False) -> None:
    """Forward rules for a primitive linear in each of its first ``nargs`` arguments."""

    def rule_for(i: int) -> Callable:
        def rule(t, ans, *args, **kwargs):
            args = list(args)
            args[i] = t
            return prim(*args, **kwargs)

        return rule

    defjvp(prim, *(rule_for(i) for i in range(nargs)), batchable=batchable)


def missing_rule(prim: Callable, what: str) -> DiaphaneError:
    name = getattr(prim, "__name__", repr(prim))
    return DiaphaneError(
        f"The primitive '{name}' has no {what} rule. Register one with "
        f"diaphane.autodiff.defvjp/defjvp, or compute this part outside the differentiated code."
    )
