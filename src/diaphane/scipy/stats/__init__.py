"""Differentiable log-densities, densities and distribution functions, as :mod:`scipy.stats`.

Each distribution is a module of plain functions with SciPy's argument names and
defaults: ``from diaphane.scipy.stats import norm; norm.logpdf(x, loc, scale)``. They
are compositions of :mod:`diaphane.numpy` and :mod:`diaphane.scipy.special`, so every
argument with a derivative there has one here, to any order, forward or reverse. The
shape parameters of the distribution functions (``df`` of ``t.cdf``, ``a`` of
``gamma.cdf``, ``a`` and ``b`` of ``beta.cdf``) have none, as in autograd. Values are
meant for points inside the support.
"""

from diaphane.scipy.stats import beta, dirichlet, gamma, multivariate_normal, norm, poisson, t

__all__ = ["beta", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
